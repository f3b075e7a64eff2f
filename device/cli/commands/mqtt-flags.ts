/** Broker flags shared by the MQTT commands (the password may also come from FACEGATE_MQTT_PASSWORD). */
import type { BrokerOptions } from '../../../sdk/mqtt/connect.ts';

export interface BrokerFlags {
  broker: string;
  username?: string;
  password?: string;
  ca?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecure?: boolean;
}

export function brokerOptions(f: BrokerFlags): BrokerOptions {
  const password = f.password ?? process.env.FACEGATE_MQTT_PASSWORD;
  return {
    url: f.broker,
    ...(f.username !== undefined ? { username: f.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(f.ca ? { ca: f.ca } : {}),
    ...(f.tlsCert ? { cert: f.tlsCert } : {}),
    ...(f.tlsKey ? { key: f.tlsKey } : {}),
    ...(f.insecure ? { rejectUnauthorized: false } : {}),
  };
}
