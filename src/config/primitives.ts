/**
 * Field types the config modules share, so that a port, a duration or a host means the same everywhere in the file.
 */
import * as z from 'zod';

/** A TCP port. */
export const port = z.number().int().min(1).max(65535);
/** A duration in whole milliseconds, above zero. */
export const ms = z.number().int().positive();
/** An IP address or a host name. */
export const host = z.string().min(1);
