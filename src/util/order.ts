/**
 * Text in code-unit order, the same in every locale (localeCompare would make a report's order
 * depend on the machine); for names of ASCII and UTF-8 text, the byte order libuv sorts folder
 * listings in.
 */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
