import type { CameraConfig } from '../config/schema.ts';
import type { CameraSource, FrameDecoder } from './camera-source.ts';
import { FilesSource } from './files-source.ts';
import { StreamSource } from './stream-source.ts';
import { WebcamSource } from './webcam-source.ts';

const VIDEO_EXT = /\.(mp4|mkv|avi|mov|webm|mjpe?g|h264|h265)$/i;

/** Picks the camera source for the config; a video file under `files` is replayed by ffmpeg. */
export function createSource(cfg: CameraConfig, decode: FrameDecoder): CameraSource {
  switch (cfg.type) {
    case 'webcam':
      return new WebcamSource({ device: cfg.device, width: cfg.width, height: cfg.height, fps: cfg.fps, decode });
    case 'stream':
      return new StreamSource({ url: cfg.url, width: cfg.width, height: cfg.height, fps: cfg.fps, stallTimeoutSec: cfg.stallTimeoutSec });
    case 'files':
      if (VIDEO_EXT.test(cfg.path)) return new StreamSource({ url: cfg.path, width: 640, height: 480, fps: cfg.fps, stallTimeoutSec: 10, realtime: true });
      return new FilesSource({ path: cfg.path, fps: cfg.fps, loop: cfg.loop, repeat: cfg.repeat, decode });
  }
}
