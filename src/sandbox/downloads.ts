/** Files and pages served without the API key under /_sandbox/ (download URLs, hosted pages, portal links). */
import { text, type HttpResponse } from './http.js';

interface PublicFile {
  body: string | Buffer;
  contentType: string;
  /** ms epoch after which the URL answers 403, as an expired signed URL does. */
  expiresAt: number;
}

export class PublicFiles {
  private readonly files = new Map<string, PublicFile>();

  /** Registers `path` (relative to /_sandbox/, e.g. `downloads/abc.zip`). */
  put(path: string, body: string | Buffer, contentType: string, expiresAt: number): void {
    this.files.set(path, { body, contentType, expiresAt });
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  serve(path: string, now: number): HttpResponse {
    const file = this.files.get(path);
    if (!file) return text(404, 'Not found');
    if (now > file.expiresAt) return text(403, 'Request has expired');
    return { status: 200, headers: { 'content-type': file.contentType }, body: file.body };
  }

  clear(): void {
    this.files.clear();
  }
}

/** The tiny HTML page behind hosted-page and portal URLs. */
export function sandboxPage(title: string, detail: string): string {
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>SANDBOX · ${escape(title)}</title></head>`
    + `<body><h1>SANDBOX</h1><p>${escape(title)}</p><p>${escape(detail)}</p>`
    + '<p>This page belongs to the chargebee-mcp sandbox: nothing here is real.</p></body></html>';
}
