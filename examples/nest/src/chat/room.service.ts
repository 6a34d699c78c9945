import { Injectable } from '@nestjs/common'

/** An ordinary Nest service: the gateway gets it through constructor injection. */
@Injectable()
export class RoomService {
  readonly #history = new Map<string, string[]>()

  record(room: string, text: string): number {
    const lines = this.#history.get(room) ?? []
    lines.push(text)
    this.#history.set(room, lines)
    return lines.length
  }

  history(room: string): readonly string[] {
    return this.#history.get(room) ?? []
  }
}
