import { formatCount } from '../util/format.js';
import { defineRule, draft } from './define.js';

/**
 * More pixels than this is a decompression bomb for the libraries that thumbnail uploads:
 * Pillow refuses twice its default MAX_IMAGE_PIXELS (89,478,485), ImageMagick's default policy
 * stops at about 128 megapixels. A real photo from a phone has 12-50.
 */
const MAX_PIXELS = 178_956_970;

export default defineRule({
  id: 'size/pixel-bomb',
  category: 'size',
  defaultSeverity: 'high',
  description: `An image whose header declares more than ${formatCount(MAX_PIXELS)} pixels: a decompression bomb for thumbnailers.`,
  rationale:
    'A 50 KB PNG can declare 100,000 × 100,000 pixels: the first thumbnailer or image library that decodes it allocates tens of gigabytes and takes the worker (or the host) down. The file size limit does not see it.',
  fix: 'Quarantine the file; make the handler read the declared dimensions before decoding and refuse images over a pixel limit.',
  kinds: ['file'],
  messages: {
    pixels: 'the header declares {width} × {height} pixels ({megapixels} megapixels) in a {size|bytes} file',
  },
  check(file) {
    const d = file.dimensions;
    if (!d || d.width * d.height <= MAX_PIXELS) return undefined;
    return draft('pixels', {
      width: d.width,
      height: d.height,
      megapixels: Math.round((d.width * d.height) / 1e6),
      size: file.size,
    });
  },
});
