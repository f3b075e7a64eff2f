import { join } from 'node:path';
import { fetchSource } from '../../models/fetch/fetch-source.ts';

/** The six face-api demo photos (real faces, 1920 px wide, 3-5 people each), fetched and pinned. */
export async function demoPhotos(): Promise<string[]> {
  const dir = await fetchSource('faceapi');
  return [1, 2, 3, 4, 5, 6].map((i) => join(dir, 'demo', `sample${i}.jpg`));
}
