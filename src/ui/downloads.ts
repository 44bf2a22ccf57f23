/**
 * Saves text or bytes as a file through a temporary object URL: no server round trip, nothing to
 * clean.
 */
export function downloadFile(
  filename: string,
  contents: string | Uint8Array<ArrayBuffer>,
  type: string,
): void {
  const url = URL.createObjectURL(new Blob([contents], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  // The click starts the download synchronously; the URL is no longer needed after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
