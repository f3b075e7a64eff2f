/**
 * The JS peers of the comparison, as their npm packages ship them: @vladmandic/face-api (SSD
 * MobileNet v1 or Tiny detector, 68 landmarks, 128-d descriptor) and @vladmandic/human (BlazeFace,
 * face mesh, faceres 1024-d descriptor), on tfjs's WebAssembly backend with one thread (SIMD on
 * where the CPU has it). Weights load from the packages' own model folders; nothing else is read.
 * Both packages are CommonJS bundles that share the one tfjs engine they `require`.
 */
import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { Box, Frame } from '../../../sdk/types.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const MODULES = join(ROOT, 'node_modules');
const require = createRequire(join(ROOT, 'package.json'));

/** What every peer returns per face: its box in frame pixels and its descriptor. */
export interface PeerFace {
  box: Box;
  embedding: Float32Array;
}

/** One pipeline of the comparison: all faces of a frame, or only the confident ones. */
export interface PeerPipeline {
  name: string;
  /** Descriptor length and the distance it is compared with. */
  describe: string;
  faces(frame: Frame, low?: boolean): Promise<PeerFace[]>;
  release(): Promise<void>;
}

// The few members of tfjs, face-api and human this bench uses (their bundles ship no typings we can import by path).
interface Tensor { dispose(): void }
interface Tfjs {
  env(): { set(flag: string, v: boolean): void; getAsync(flag: string): Promise<boolean> };
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor3d(values: Int32Array, shape: [number, number, number], dtype: 'int32'): Tensor;
  memory(): { numTensors: number };
}
interface WasmBackend { setWasmPaths(prefix: string): void }
interface FaceApiBox { x: number; y: number; width: number; height: number }
interface FaceApiResult { detection: { box: FaceApiBox }; descriptor: Float32Array }
interface FaceApiNet { loadFromDisk(dir: string): Promise<void> }
interface FaceApiTask { withFaceLandmarks(): { withFaceDescriptors(): Promise<FaceApiResult[]> } }
interface FaceApi {
  tf: Tfjs;
  nets: Record<'ssdMobilenetv1' | 'tinyFaceDetector' | 'faceLandmark68Net' | 'faceRecognitionNet', FaceApiNet>;
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => object;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => object;
  detectAllFaces(input: Tensor, options: object): FaceApiTask;
}
interface HumanResult { face: { box: [number, number, number, number]; embedding?: number[] }[] }
interface HumanInstance {
  load(): Promise<void>;
  warmup(): Promise<unknown>;
  detect(input: Tensor, config?: object): Promise<HumanResult>;
}
type HumanModule = { Human: new (config: object) => HumanInstance };

const WASM_DIR = join(MODULES, '@tensorflow', 'tfjs-backend-wasm', 'dist') + sep;

/** tfjs on the wasm backend, one thread. Returns the engine face-api and human share. */
export async function tfjsWasm(): Promise<{ tf: Tfjs; simd: boolean }> {
  const tf = require('@tensorflow/tfjs-core') as Tfjs;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as WasmBackend;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // one thread, like FaceGate's ORT sessions
  wasm.setWasmPaths(WASM_DIR);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
  await tf.ready();
  return { tf, simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') };
}

function toTensor(tf: Tfjs, frame: Frame): Tensor {
  return tf.tensor3d(Int32Array.from(frame.data), [frame.height, frame.width, 3], 'int32');
}

/** face-api with the SSD MobileNet v1 or the Tiny detector; its defaults (0.5, input 416) are its best. */
export async function faceApiPipeline(detector: 'ssd' | 'tiny'): Promise<PeerPipeline> {
  const faceapi = require(join(MODULES, '@vladmandic', 'face-api', 'dist', 'face-api.node-wasm.js')) as FaceApi;
  const dir = join(MODULES, '@vladmandic', 'face-api', 'model');
  await (detector === 'ssd' ? faceapi.nets.ssdMobilenetv1 : faceapi.nets.tinyFaceDetector).loadFromDisk(dir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
  const options = (threshold: number) => (detector === 'ssd'
    ? new faceapi.SsdMobilenetv1Options({ minConfidence: threshold })
    : new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: threshold }));
  const normal = options(0.5);
  const low = options(0.2);
  return {
    name: `face-api ${detector === 'ssd' ? 'SSD' : 'Tiny'}`,
    describe: '128-d, Euclidean',
    async faces(frame, lowThreshold = false) {
      const input = toTensor(faceapi.tf, frame);
      try {
        const found = await faceapi.detectAllFaces(input, lowThreshold ? low : normal).withFaceLandmarks().withFaceDescriptors();
        return found.map((f) => ({ box: { x: f.detection.box.x, y: f.detection.box.y, w: f.detection.box.width, h: f.detection.box.height }, embedding: f.descriptor }));
      } finally {
        input.dispose();
      }
    },
    async release() {},
  };
}

/**
 * Serves human's model folder over loopback HTTP: human loads models with fetch(), and Node's
 * fetch has no file: URLs. Paths are confined to the folder.
 */
async function serveFolder(root: string): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent((req.url ?? '/').split('?')[0])));
    if (!path.startsWith(root + sep)) { res.statusCode = 403; res.end(); return; }
    readFile(path).then((buf) => res.end(buf), () => { res.statusCode = 404; res.end(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

/**
 * human with BlazeFace, the face mesh (which aligns the crop faceres sees) and faceres; every
 * other module off, and its frame-to-frame result cache off (each image is a new scene).
 */
export async function humanPipeline(): Promise<PeerPipeline> {
  const { Human } = require(join(MODULES, '@vladmandic', 'human', 'dist', 'human.node-wasm.js')) as HumanModule;
  const models = await serveFolder(join(MODULES, '@vladmandic', 'human', 'models'));
  const config = (minConfidence: number) => ({
    backend: 'wasm', wasmPath: WASM_DIR, modelBasePath: models.url, debug: false, cacheSensitivity: 0, async: false,
    face: {
      enabled: true,
      detector: { enabled: true, maxDetected: 10, minConfidence, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: true }, iris: { enabled: false }, attention: { enabled: false },
      description: { enabled: true, skipFrames: 0, skipTime: 0 },
      emotion: { enabled: false }, antispoof: { enabled: false }, liveness: { enabled: false },
    },
    body: { enabled: false }, hand: { enabled: false }, object: { enabled: false }, gesture: { enabled: false },
    segmentation: { enabled: false }, filter: { enabled: false },
  });
  const human = new Human(config(0.2));
  await human.load();
  const low = config(0.05);
  return {
    name: 'human BlazeFace+faceres',
    describe: '1024-d, Euclidean',
    async faces(frame, lowThreshold = false) {
      const tf = require('@tensorflow/tfjs-core') as Tfjs;
      const input = toTensor(tf, frame);
      try {
        const r = await human.detect(input, lowThreshold ? low : undefined);
        return r.face.filter((f) => f.embedding?.length).map((f) => ({
          box: { x: f.box[0], y: f.box[1], w: f.box[2], h: f.box[3] }, embedding: Float32Array.from(f.embedding!),
        }));
      } finally {
        input.dispose();
      }
    },
    async release() { models.close(); },
  };
}
