import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

/**
 * prom-client's four classes Rotor uses, required from their own files: the package's index also
 * loads its default process collectors, one of which requires @opentelemetry/api (51 modules,
 * about 10 MB resident) for exemplars. Rotor serves no default metrics, so neither is loaded.
 * They are the very classes the index exports (the index requires these files).
 */
const require = createRequire(import.meta.url);

export const Registry: typeof PromClient.Registry = require('prom-client/lib/registry');
export type Registry = PromClient.Registry;
export const Counter: typeof PromClient.Counter = require('prom-client/lib/counter');
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge: typeof PromClient.Gauge = require('prom-client/lib/gauge');
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export const Histogram: typeof PromClient.Histogram = require('prom-client/lib/histogram');
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
