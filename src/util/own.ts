/**
 * `record[key]` only when the record itself holds the key. Extensions, Content-Types and message
 * ids come from uploads and reports; as plain-object keys, `constructor` or `__proto__` would
 * find Object.prototype's members (a function where a size limit or a list was expected).
 */
export const ownValue = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;
