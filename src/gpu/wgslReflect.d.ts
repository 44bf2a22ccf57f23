// wgsl_reflect's package "main" is a CommonJS file inside a "type": "module" package, which plain
// Node cannot import; its ES module build has the same API and loads everywhere (Vite, Node).
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
