/** A one-line progress display on terminals; plain lines elsewhere (logs, CI, pipes). */
import type { Writable } from 'node:stream';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private text = '';
  private frame = 0;
  private readonly started = Date.now();

  constructor(private readonly out: Writable & { isTTY?: boolean }) {}

  update(text: string): void {
    if (text === this.text) return;
    this.text = text;
    if (!this.out.isTTY) {
      this.out.write(`${text}\n`);
      return;
    }
    this.timer ??= setInterval(() => this.draw(), 100);
    this.draw();
  }

  private draw(): void {
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    this.out.write(`\r\u001b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.text} ${secs}s`);
  }

  done(line: string): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.out.write(this.out.isTTY ? `\r\u001b[2K${line}\n` : `${line}\n`);
  }
}
