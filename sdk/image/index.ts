export { loadFrame, workingSize, toSourcePixels, DEFAULT_MAX_PIXELS, DEFAULT_MAX_BYTES, DEFAULT_WORKING_PIXELS, DEFAULT_MAX_WHOLE_DECODE_PIXELS, type LoadFrameOptions } from './load-frame.ts';
export { rawToFrame, isRawFrame, type RawFrame, type ImageInput } from './raw-frame.ts';
export { tensorTarget, tensorDims, channelsOf, type TensorLayout, type TensorTarget } from './tensor-target.ts';
export { resampleInto, axisTaps, halveFrame, MipChain } from './resample.ts';
export { laplacianVariance } from './laplacian.ts';
