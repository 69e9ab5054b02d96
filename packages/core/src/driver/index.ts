/**
 * `@app/core/driver`: what a driver author builds a bus from. Users of a bus import `@app/core`;
 * this entry point holds the shared machinery every driver in this workspace is written on.
 */
export {};
