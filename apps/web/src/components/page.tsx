import { useEffect, useRef, type ReactNode } from 'react';
import { useLocation } from 'react-router';

let firstLocationKey: string | undefined;

interface PageProps {
  title: string;
  children?: ReactNode;
}

/**
 * Every screen's heading and document title. After a client-side navigation focus moves to the
 * new heading, as a full page load would reset it, so screen reader users hear where they are
 * and keyboard users start from the top of the new content (WCAG 2.4.3).
 */
export function Page({ title, children }: PageProps) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const { key } = useLocation();

  useEffect(() => {
    document.title = `${title} · Portcullis`;
  }, [title]);

  useEffect(() => {
    // The location the document was loaded (or reloaded) at: the browser has just reset focus
    // itself, so there is nothing to move it away from. A reload keeps history.state, so the
    // router's key alone cannot tell a reload from a navigation.
    firstLocationKey ??= key;
    if (key !== firstLocationKey) headingRef.current?.focus();
  }, [key]);

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1} className="page-title">
        {title}
      </h1>
      {children}
    </>
  );
}
