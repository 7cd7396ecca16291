// The live widget's ESM (anywidget): src/widget.ts and its styles as one self-contained
// module and one stylesheet, written where notebook/widgets.py reads them (`jlpm build:widget`).
// The output is committed, so an install without Node has it; tests/browser/
// test_frontend_unit.py checks that it is what these sources build.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: '../dflow_nb/notebook/static',
    emptyOutDir: false,
    minify: true,
    sourcemap: false,
    target: 'es2020',
    lib: {
      entry: 'src/widget-entry.ts',
      formats: ['es'],
      fileName: () => 'dag.js',
      cssFileName: 'dag'
    }
  }
});
