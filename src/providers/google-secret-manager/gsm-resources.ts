import { z } from 'zod';

/**
 * The v1 REST shapes Rotor reads (resources.proto, service.proto), as proto3 JSON: fields in
 * lowerCamelCase and left out at their defaults, int64 as strings, bytes as base64.
 */
export const secretResource = z.object({
  name: z.string(),
  createTime: z.string().optional(),
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
  versionAliases: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  etag: z.string().default(''),
  rotation: z.object({ nextRotationTime: z.string().optional(), rotationPeriod: z.string().optional() }).optional(),
});

export const versionResource = z.object({
  name: z.string(),
  createTime: z.string().optional(),
  destroyTime: z.string().optional(),
  state: z.enum(['STATE_UNSPECIFIED', 'ENABLED', 'DISABLED', 'DESTROYED']).default('STATE_UNSPECIFIED'),
  etag: z.string().default(''),
});

export const accessResponse = z.object({
  name: z.string(),
  payload: z
    .object({ data: z.string().default(''), dataCrc32c: z.union([z.string(), z.number()]).transform(String).optional() })
    .default({ data: '' }),
});

export const listSecretsResponse = z.object({ secrets: z.array(secretResource).default([]), nextPageToken: z.string().optional() });
export const listVersionsResponse = z.object({ versions: z.array(versionResource).default([]), nextPageToken: z.string().optional() });

export type SecretResource = z.infer<typeof secretResource>;
export type VersionResource = z.infer<typeof versionResource>;

/** The version number at the end of a version's resource name (responses name the project by number). */
export function versionNumberOf(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
