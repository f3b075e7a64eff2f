// The part of node-webcam's API FaceGate uses (the package ships no types).
declare module 'node-webcam' {
  interface WebcamOptions {
    width: number; height: number; device: string; output: 'jpeg' | 'png' | 'bmp'; quality: number;
    delay: number; saveShots: boolean; callbackReturn: 'location' | 'buffer' | 'base64'; verbose: boolean;
  }
  interface Webcam {
    capture(location: string | null, callback: (err: Error | null, data?: unknown) => void): void;
  }
  const NodeWebcam: { create(opts: WebcamOptions): Webcam };
  export default NodeWebcam;
}
