// What Vite's bundler resolves beyond TypeScript: a stylesheet imported for its side effect.
declare module '*.css';
// A file imported as its text (Vite's `?raw`).
declare module '*?raw' {
  const text: string;
  export default text;
}
