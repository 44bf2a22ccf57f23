/** The page's elements by id, typed; a missing or mistyped one is a bug in index.html, said so. */
export function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page lacks a ${type.name} #${id}`);
  return found;
}
