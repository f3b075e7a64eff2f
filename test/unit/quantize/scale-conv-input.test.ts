import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaleConvInputChannels } from '../../../models/quantize/onnx-graph.ts';

test('scaleConvInputChannels: dense conv scales each input channel of every output', () => {
  // [out 2, in 3, 1x1]
  const w = Float32Array.from([1, 2, 3, 4, 5, 6]);
  scaleConvInputChannels(w, [2, 3, 1, 1], 1, (c) => [10, 1, -1][c]);
  assert.deepEqual([...w], [10, 2, -3, 40, 5, -6]);
});

test('scaleConvInputChannels: grouped conv maps output channels to their group\'s inputs', () => {
  // 4 inputs, group 2: [out 4, in/group 2, 1x2]; outputs 0-1 read inputs 0-1, outputs 2-3 read 2-3.
  const w = Float32Array.from({ length: 16 }, () => 1);
  scaleConvInputChannels(w, [4, 2, 1, 2], 2, (c) => c + 1);
  assert.deepEqual([...w], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
});

test('scaleConvInputChannels: depthwise (group = channels) scales each filter by its own channel', () => {
  const w = Float32Array.from([1, 1, 1, 1, 1, 1]); // [3, 1, 1, 2]
  scaleConvInputChannels(w, [3, 1, 1, 2], 3, (c) => 2 ** c);
  assert.deepEqual([...w], [1, 1, 2, 2, 4, 4]);
});
