import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', '.scratch/**', '.ci/cache/**'] }),
  // The page's own browser modules (served at {prefix}/ui/).
  { files: ['public/**/*.js'], languageOptions: { globals: { ResizeObserver: 'readonly' } } },
]
