/** Uploaded images: multipart parts read with the size limit, then a pixel limit from the header. */
import type { FastifyRequest } from 'fastify';
import sharp, { type Metadata } from 'sharp';
import { FaceGateError } from '../../sdk/errors.ts';

export interface Upload { filename: string; fieldname: string; data: Buffer; fields: Record<string, string> }

async function checkPixels(data: Buffer, name: string, maxPixels: number): Promise<void> {
  let meta: Metadata;
  try {
    meta = await sharp(data).metadata();
  } catch (e) {
    throw new FaceGateError('FG_IMAGE_DECODE', `${name}: not a decodable image (${(e as Error).message})`);
  }
  const px = (meta.width ?? 0) * (meta.height ?? 0);
  if (px > maxPixels) throw new FaceGateError('FG_IMAGE_TOO_LARGE', `${name}: ${meta.width}x${meta.height} is over the ${maxPixels} pixel limit`);
}

/** Every file part of a multipart request (form fields collected beside them). */
export async function readImages(req: FastifyRequest, maxPixels: number, maxFiles = 20, checkPixelsOf = true): Promise<Upload[]> {
  if (!req.isMultipart()) throw new FaceGateError('FG_INPUT_INVALID', 'send the image as multipart/form-data (field "image")');
  const out: Upload[] = [];
  const fields: Record<string, string> = {};
  for await (const part of req.parts()) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (out.length >= maxFiles) throw new FaceGateError('FG_INPUT_INVALID', `at most ${maxFiles} images per request`);
    const data = await part.toBuffer(); // throws 413 past the configured fileSize
    const filename = part.filename || `image${out.length + 1}`;
    if (data.length === 0) throw new FaceGateError('FG_IMAGE_INVALID', `${filename}: empty file`);
    if (checkPixelsOf) await checkPixels(data, filename, maxPixels);
    out.push({ filename, fieldname: part.fieldname, data, fields });
  }
  if (out.length === 0) throw new FaceGateError('FG_INPUT_INVALID', 'no image in the request (multipart field "image")');
  return out;
}
