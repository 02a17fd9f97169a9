/**
 * The proxy's listener: where it accepts client connections, and what protocol it speaks there.
 *
 * A discriminated union on `protocol`, one member per protocol, so that HTTP/2, gRPC, TLS and TCP listeners each add
 * a member with their own fields. HTTP/1.1 is the member without a `protocol` field (or with `protocol: "http"`), so
 * the configs written before the union existed keep their meaning and their bytes.
 */
import * as z from 'zod';
import { host, port } from './primitives';

export const HttpListenerSchema = z
  .object({
    protocol: z.literal('http').optional().describe('HTTP/1.1 (the listener protocol when absent).'),
    host: host.default('0.0.0.0'),
    port: port.default(8080),
  })
  .strict();

export const ListenerSchema = z.discriminatedUnion('protocol', [HttpListenerSchema]);

export type ListenerConfig = z.output<typeof ListenerSchema>;
export type ListenerInput = z.input<typeof ListenerSchema>;
export type ListenerProtocol = NonNullable<ListenerConfig['protocol']>;
