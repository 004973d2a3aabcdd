import { describe, expect, it } from 'vitest';
import { publicStatements } from './exposure.js';

/** Which of `keys` a policy makes public, for each access. */
function publicKeys(statements: object[], keys: string[]) {
  const grants = publicStatements(
    JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    'uploads',
  );
  const granted = (key: string, access: 'read' | 'write') => {
    const hits = grants.filter((g) => g.access.has(access) && g.keys.some((k) => k.test(key)));
    return hits.some((g) => g.allow) && !hits.some((g) => !g.allow);
  };
  return {
    read: keys.filter((k) => granted(k, 'read')),
    write: keys.filter((k) => granted(k, 'write')),
  };
}

const KEYS = ['avatars/a.jpg', 'avatars/private/b.jpg', 'docs/c.pdf', 'Avatars/d.jpg'];
const allow = (extra: object) => ({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', ...extra });

describe('bucket policy statements that make objects public', () => {
  it.each([
    [
      'a prefix readable by everyone',
      [allow({ Resource: 'arn:aws:s3:::uploads/avatars/*' })],
      ['avatars/a.jpg', 'avatars/private/b.jpg'],
      [],
    ],
    [
      'every object, principal {"AWS": "*"}',
      [allow({ Principal: { AWS: '*' }, Resource: 'arn:aws:s3:::uploads/*' })],
      KEYS,
      [],
    ],
    [
      'a wildcard action covers read and write',
      [allow({ Action: 's3:*', Resource: ['arn:aws:s3:::uploads/docs/*'] })],
      ['docs/c.pdf'],
      ['docs/c.pdf'],
    ],
    [
      'Put granted to everyone is write',
      [allow({ Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::uploads/*' })],
      [],
      KEYS,
    ],
    [
      'a public Deny takes a prefix back',
      [
        allow({ Resource: 'arn:aws:s3:::uploads/*' }),
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::uploads/avatars/private/*',
        },
      ],
      ['avatars/a.jpg', 'docs/c.pdf', 'Avatars/d.jpg'],
      [],
    ],
    [
      'keys match case-sensitively, actions do not',
      [allow({ Action: 'S3:getobject', Resource: 'arn:aws:s3:::uploads/Avatars/*' })],
      ['Avatars/d.jpg'],
      [],
    ],
    ['a resource of all of S3', [allow({ Resource: '*' })], KEYS, []],
  ])('%s', (_name, statements, read, write) => {
    expect(publicKeys(statements, KEYS)).toEqual({ read, write });
  });

  it.each([
    [
      'a condition (source IP, VPC, referer)',
      [
        allow({
          Resource: 'arn:aws:s3:::uploads/*',
          Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
        }),
      ],
    ],
    [
      'an account principal',
      [allow({ Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Resource: 'arn:aws:s3:::uploads/*' })],
    ],
    [
      'a service principal',
      [allow({ Principal: { Service: 'cloudfront.amazonaws.com' }, Resource: 'arn:aws:s3:::uploads/*' })],
    ],
    ['another bucket', [allow({ Resource: 'arn:aws:s3:::uploads-public/*' })]],
    [
      'the bucket, not its objects (ListBucket)',
      [allow({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::uploads' })],
    ],
    [
      'a Deny alone',
      [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::uploads/*' }],
    ],
  ])('not public: %s', (_name, statements) => {
    expect(publicKeys(statements, KEYS)).toEqual({ read: [], write: [] });
  });
});
