import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * The plugin's own code (the build's root: dist/ as installed, src/ under test), as a path and as a file URL
 * (ES modules' frames carry either). Its allocation sites are never suspects and are left out of "what grew
 * since": the watch's own ring grows with every capture until it is full (CaptureRing.add's typed arrays, a
 * megabyte or two) and the census's history until its window is, which on a server with rare major GCs takes
 * minutes; bounded structures filling up are not the app's growth.
 */
const OWN_ROOT = fileURLToPath(new URL('..', import.meta.url))
const OWN_URL = pathToFileURL(OWN_ROOT).href

// node:inspector parses every protocol answer (lib/inspector.js, onMessage): the answers are the plugin's, to the
// census (a function's scopes, cached per function in a WeakMap, so they grow with the app's closures: on the
// leaking demo, a leaked listener each) and to the inspector heap engine. An app that drives the inspector itself
// loses that one site from the verdict; the census would otherwise be named as the app's leak.
const INSPECTOR = 'node:inspector'

export function isOwn (file: string): boolean {
  return file.startsWith(OWN_ROOT) || file.startsWith(OWN_URL) || file === INSPECTOR
}

/**
 * Whether a stack's allocation is the plugin's: by its leaf, or, when the leaf has no file (a builtin such as
 * WeakRef's or Map's constructor, charged by name alone), by the first frame up that has one. The census's
 * WeakRefs grow with the app's functions and were named `WeakRef (:0)` as the app's leak.
 */
export function ownStack (frames: ReadonlyArray<{ readonly file: string }>): boolean {
  for (const frame of frames) if (frame.file !== '') return isOwn(frame.file)
  return false
}

/**
 * The frame an allocation is charged to: its leaf, or for the plugin's own stacks with a file-less builtin leaf,
 * the first frame that has a file (so that the site is known as the plugin's and never named a suspect).
 */
export function chargedFrame<F extends { readonly file: string }> (frames: readonly F[]): F {
  const leaf = frames[0]
  if (leaf === undefined) throw new RangeError('a stack with no frames')
  return ownStack(frames) ? frames.find((f) => f.file !== '') ?? leaf : leaf
}
