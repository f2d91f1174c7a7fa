import type { RouteSpec } from '../src/routes.js'

export function routesTable (routes: readonly RouteSpec[]): string
export function errorsTable (errorClasses: object): string
export function replaceBlock (text: string, name: string, content: string): string
