import type { Endpoint } from '../src/endpoints.js'

export function routesTable (endpoints: readonly Endpoint[]): string
export function errorsTable (errorClasses: object): string
export function replaceBlock (text: string, name: string, content: string): string
