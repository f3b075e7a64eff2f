/**
 * The slice of the TFLite flatbuffer schema (tensorflow/lite/schema/schema.fbs) the converter
 * reads: field slots of each table, builtin operator codes, tensor types and option enums.
 * Field slot numbers count a union as two slots (type, then value), as flatc lays them out.
 */

/** Builtin operator codes, for the operators the converter knows and a few it names in errors. */
export const BUILTIN_OPS: Record<number, string> = {
  0: 'ADD', 1: 'AVERAGE_POOL_2D', 2: 'CONCATENATION', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D',
  5: 'DEPTH_TO_SPACE', 6: 'DEQUANTIZE', 7: 'EMBEDDING_LOOKUP', 8: 'FLOOR', 9: 'FULLY_CONNECTED',
  10: 'HASHTABLE_LOOKUP', 11: 'L2_NORMALIZATION', 12: 'L2_POOL_2D', 13: 'LOCAL_RESPONSE_NORMALIZATION',
  14: 'LOGISTIC', 15: 'LSH_PROJECTION', 16: 'LSTM', 17: 'MAX_POOL_2D', 18: 'MUL', 19: 'RELU',
  20: 'RELU_N1_TO_1', 21: 'RELU6', 22: 'RESHAPE', 23: 'RESIZE_BILINEAR', 24: 'RNN', 25: 'SOFTMAX',
  26: 'SPACE_TO_DEPTH', 27: 'SVDF', 28: 'TANH', 29: 'CONCAT_EMBEDDINGS', 30: 'SKIP_GRAM', 31: 'CALL',
  32: 'CUSTOM', 33: 'EMBEDDING_LOOKUP_SPARSE', 34: 'PAD', 35: 'UNIDIRECTIONAL_SEQUENCE_RNN', 36: 'GATHER',
  37: 'BATCH_TO_SPACE_ND', 38: 'SPACE_TO_BATCH_ND', 39: 'TRANSPOSE', 40: 'MEAN', 41: 'SUB', 42: 'DIV',
  43: 'SQUEEZE', 44: 'UNIDIRECTIONAL_SEQUENCE_LSTM', 45: 'STRIDED_SLICE', 46: 'BIDIRECTIONAL_SEQUENCE_RNN',
  47: 'EXP', 48: 'TOPK_V2', 49: 'SPLIT', 50: 'LOG_SOFTMAX', 51: 'DELEGATE', 52: 'BIDIRECTIONAL_SEQUENCE_LSTM',
  53: 'CAST', 54: 'PRELU', 55: 'MAXIMUM', 56: 'ARG_MAX', 57: 'MINIMUM', 58: 'LESS', 59: 'NEG', 60: 'PADV2',
  61: 'GREATER', 62: 'GREATER_EQUAL', 63: 'LESS_EQUAL', 64: 'SELECT', 65: 'SLICE', 66: 'SIN',
  67: 'TRANSPOSE_CONV', 68: 'SPARSE_TO_DENSE', 69: 'TILE', 70: 'EXPAND_DIMS', 71: 'EQUAL', 72: 'NOT_EQUAL',
  73: 'LOG', 74: 'SUM', 75: 'SQRT', 76: 'RSQRT', 77: 'SHAPE', 78: 'POW', 79: 'ARG_MIN', 80: 'FAKE_QUANT',
  81: 'REDUCE_PROD', 82: 'REDUCE_MAX', 83: 'PACK', 84: 'LOGICAL_OR', 85: 'ONE_HOT', 86: 'LOGICAL_AND',
  87: 'LOGICAL_NOT', 88: 'UNPACK', 89: 'REDUCE_MIN', 90: 'FLOOR_DIV', 91: 'REDUCE_ANY', 92: 'SQUARE',
  93: 'ZEROS_LIKE', 94: 'FILL', 95: 'FLOOR_MOD', 96: 'RANGE', 97: 'RESIZE_NEAREST_NEIGHBOR', 98: 'LEAKY_RELU',
  99: 'SQUARED_DIFFERENCE', 100: 'MIRROR_PAD', 101: 'ABS', 102: 'SPLIT_V', 103: 'UNIQUE', 104: 'CEIL',
  105: 'REVERSE_V2', 106: 'ADD_N', 107: 'GATHER_ND', 108: 'COS', 109: 'WHERE', 110: 'RANK', 111: 'ELU',
  112: 'REVERSE_SEQUENCE', 113: 'MATRIX_DIAG', 114: 'QUANTIZE', 115: 'MATRIX_SET_DIAG', 116: 'ROUND',
  117: 'HARD_SWISH', 118: 'IF', 119: 'WHILE', 120: 'NON_MAX_SUPPRESSION_V4', 121: 'NON_MAX_SUPPRESSION_V5',
  122: 'SCATTER_ND', 123: 'SELECT_V2', 124: 'DENSIFY', 125: 'SEGMENT_SUM', 126: 'BATCH_MATMUL',
};

export function opName(code: number): string {
  return BUILTIN_OPS[code] ?? `BUILTIN_${code}`;
}

/** TensorType enum. */
export const TensorType = {
  FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, STRING: 5, BOOL: 6, INT16: 7, COMPLEX64: 8, INT8: 9, FLOAT64: 10,
} as const;
export type TensorTypeCode = (typeof TensorType)[keyof typeof TensorType];

export const TENSOR_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TensorType).map(([k, v]) => [v, k]));

/** ActivationFunctionType enum. */
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;

/** Padding enum. */
export const Padding = { SAME: 0, VALID: 1 } as const;

/** Field slots of the tables read (vtable index, not byte offset). */
export const F = {
  model: { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4 },
  operatorCode: { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 },
  subgraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  tensor: { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, isVariable: 5, sparsity: 6, shapeSignature: 7 },
  quantization: { min: 0, max: 1, scale: 2, zeroPoint: 3 },
  operator: { opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4 },
  buffer: { data: 0, offset: 1, size: 2 },
  conv2d: { padding: 0, strideW: 1, strideH: 2, activation: 3, dilationW: 4, dilationH: 5 },
  depthwise: { padding: 0, strideW: 1, strideH: 2, depthMultiplier: 3, activation: 4, dilationW: 5, dilationH: 6 },
  pool2d: { padding: 0, strideW: 1, strideH: 2, filterW: 3, filterH: 4, activation: 5 },
  fullyConnected: { activation: 0, weightsFormat: 1, keepNumDims: 2 },
  concatenation: { axis: 0, activation: 1 },
  /** Add, Sub, Mul, Div options: fused activation in slot 0. */
  binary: { activation: 0 },
  reshape: { newShape: 0 },
  reducer: { keepDims: 0 },
  stridedSlice: { beginMask: 0, endMask: 1, ellipsisMask: 2, newAxisMask: 3, shrinkAxisMask: 4, offset: 5 },
  leakyRelu: { alpha: 0 },
  cast: { inType: 0, outType: 1 },
} as const;
