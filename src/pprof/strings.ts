/** A profile's string table: index 0 is "", as profile.proto requires. */
export class StringIds {
  readonly all: string[] = ['']
  readonly #ids = new Map<string, number>([['', 0]])

  id (s: string): number {
    let id = this.#ids.get(s)
    if (id === undefined) {
      id = this.all.length
      this.all.push(s)
      this.#ids.set(s, id)
    }
    return id
  }
}
