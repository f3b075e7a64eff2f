import sharp from 'sharp';
import type { Frame } from '../../../sdk/types.ts';

/** Frame sizes of the comparison: LFW's own, VGA, 720p. */
export const FRAME_SIZES: readonly [number, number][] = [[250, 250], [640, 480], [1280, 720]];

/**
 * An image decoded and placed, unscaled, at the centre of a mid-grey width x height canvas (a face
 * at a door: the face keeps its size, the frame around it grows). Decoding is not part of any
 * timing.
 */
export async function imageOnCanvas(path: string, width: number, height: number): Promise<Frame> {
  const img = sharp(path).removeAlpha();
  const { width: w = 0, height: h = 0 } = await img.metadata();
  const fitted = await (w > width || h > height ? img.resize(width, height, { fit: 'inside' }) : img).png().toBuffer({ resolveWithObject: true });
  const left = Math.floor((width - fitted.info.width) / 2);
  const top = Math.floor((height - fitted.info.height) / 2);
  const { data, info } = await sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .composite([{ input: fitted.data, left, top }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}
