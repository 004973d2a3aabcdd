/**
 * The entry of the single-file executable: `upload-audit-serve [serve options]` is
 * `upload-audit serve [serve options]`, for hosts (a Python service) that have no Node.
 */
import { main } from '../cli/main.js';

void main([process.argv[0]!, 'upload-audit', 'serve', ...process.argv.slice(2)]);
