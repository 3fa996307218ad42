import { useEffect, type ReactNode } from 'react';

let firstPage = true;

/**
 * The page's h1. It takes focus when a page opens after client-side navigation, so keyboard
 * and screen-reader users start at the new content; it also sets the document title.
 */
export function PageTitle({ children, title }: { children: ReactNode; title: string }) {
  useEffect(() => {
    document.title = `${title} · CC Webapp`;
    // Not on the first page of a visit: the browser already starts at the top of the document.
    if (firstPage) {
      firstPage = false;
      return;
    }
    document.getElementById('page-title')?.focus();
  }, [title]);
  return (
    <h1 id="page-title" tabIndex={-1}>
      {children}
    </h1>
  );
}
