// What Vite's bundler resolves beyond TypeScript: a stylesheet imported for its side effect.
declare module '*.css';
