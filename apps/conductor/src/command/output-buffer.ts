// Keeps the last `limit` bytes written to it. Output is held as bytes and decoded once at the
// end, so a multi-byte character split across two chunks is not garbled.

export class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size <= this.limit) return;
    this.truncated = true;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) this.size -= this.chunks.shift()!.length;
    if (this.size > this.limit) {
      const first = this.chunks[0]!;
      this.chunks[0] = first.subarray(this.size - this.limit);
      this.size = this.limit;
    }
  }

  text(): string {
    const s = Buffer.concat(this.chunks, this.size).toString('utf8');
    // A tail cut may start inside a character; drop the replacement character it leaves.
    return this.truncated ? s.replace(/^\uFFFD+/, '') : s;
  }
}
