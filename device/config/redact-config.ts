import { redactUrl } from '../../sdk/mqtt/status-message.ts';
import type { DeviceConfig } from './schema.ts';

/** The config as shown (CLI, console): the MQTT password and URL credentials never leave the device. */
export function redactConfig(cfg: DeviceConfig): DeviceConfig {
  const mqtt = { ...cfg.mqtt, ...(cfg.mqtt.password !== undefined ? { password: '***' } : {}), ...(cfg.mqtt.url ? { url: redactUrl(cfg.mqtt.url) } : {}) };
  const camera = cfg.camera.type === 'stream' ? { ...cfg.camera, url: redactUrl(cfg.camera.url) } : cfg.camera;
  return { ...cfg, mqtt, camera };
}
