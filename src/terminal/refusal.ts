// Why a terminal could not be opened: a WebSocket close code and the message of its red line.
export class TerminalRefusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TerminalRefusal';
  }
}
