// A deep import into the package's internals must be refused by its exports map.
try {
  await import('facegate/sdk/gallery/store.ts');
  console.log(JSON.stringify({ refused: false }));
} catch (e) {
  console.log(JSON.stringify({ refused: true, code: e.code }));
}
