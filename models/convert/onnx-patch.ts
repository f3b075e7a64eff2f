// PLACEHOLDER (being written by the converter work): returns the model unchanged.
export function makeOnnxInputsDynamic(bytes: Uint8Array, _dims: ('batch' | 'height' | 'width')[]): Uint8Array {
  return bytes;
}
