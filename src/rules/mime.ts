import {
  BINARY_FORMATS,
  contentKindOf,
  EXECUTABLE_EXTENSIONS,
  SERVER_SCRIPT_EXTENSIONS,
  TEXT_FORMATS,
  typeClassOf,
} from '../inspect/filetypes.js';
import type { Evidence, InspectedFile } from '../model/types.js';

export type MimeVerdict = 'executable' | 'markup' | 'playlist' | 'image-type' | 'wrong-type' | 'unrecognized';

/** Extensions of audio and video that converters open: a playlist behind one is followed, not played. */
const MEDIA_EXTENSIONS = new Set(
  'mp4 m4v mov avi mkv webm flv wmv mpg mpeg 3gp ts mts m2ts ogv mp3 m4a wav ogg oga flac aac wma'.split(' '),
);

const MARKUP_EXTENSIONS = new Set(['svg', 'xml', 'html', 'htm']);

function verdictFor(file: InspectedFile): MimeVerdict | undefined {
  const ext = file.nameInfo.extension;
  const detected = file.detected;
  // A name that says what the code is (`run.sh`, `app.exe`, `Main.class` holding Java bytecode)
  // hides nothing: whether that extension belongs in uploads is dangerous-extension's question.
  const announcesCode =
    ext !== undefined &&
    (SERVER_SCRIPT_EXTENSIONS.has(ext) || EXECUTABLE_EXTENSIONS.has(ext) || detected?.ext === ext);
  const kind = detected && contentKindOf(detected.ext);
  if ((kind === 'executable' || kind === 'server-script') && !announcesCode) return 'executable';
  if (ext === undefined || file.size === 0) return undefined;
  if (detected?.ext === 'm3u8' && MEDIA_EXTENSIONS.has(ext)) return 'playlist';
  const expected = BINARY_FORMATS.get(ext);
  if (expected) {
    if (!detected || detected.ext === 'txt') return 'unrecognized';
    if (expected.has(detected.ext)) return undefined;
    if (kind === 'markup') return 'markup';
    return typeClassOf(ext) === 'image' && kind === 'image' ? 'image-type' : 'wrong-type';
  }
  if (TEXT_FORMATS.has(ext) && detected) {
    if (ext === 'svg' && detected.ext === 'html') return 'markup';
    if (detected.source === 'signature' && !MARKUP_EXTENSIONS.has(detected.ext)) {
      return typeClassOf(ext) === 'image' && kind === 'image' ? 'image-type' : 'wrong-type';
    }
  }
  return undefined;
}

/**
 * Compare what the name promises with what the head bytes are. Returns the one verdict that
 * applies (each verdict is its own rule, so the policy can weigh them separately).
 */
let last: { file: InspectedFile; result: MimeClassification | undefined } | undefined;

type MimeClassification = { verdict: MimeVerdict; evidence: Evidence };

/**
 * Five rules ask about each file in turn, and the three-way and archive rules again: classify it
 * once. Records are evaluated one at a time, so remembering the last one is enough (a WeakMap
 * entry per file cost more than the classification).
 */
export function mimeMismatch(file: InspectedFile): MimeClassification | undefined {
  if (last?.file === file) return last.result;
  const result = classify(file);
  last = { file, result };
  return result;
}

function classify(file: InspectedFile): MimeClassification | undefined {
  const verdict = verdictFor(file);
  if (!verdict) return undefined;
  const ext = file.nameInfo.extension;
  const evidence: Evidence = { extension: ext === undefined ? '(none)' : `.${ext}` };
  if (file.detected) {
    evidence.detectedType = file.detected.mime;
    evidence.detectedExtension = file.detected.ext;
  }
  return { verdict, evidence };
}
