import { useMemo } from 'react';
import { encode } from 'uqr';

interface QrCodeProps {
  value: string;
  /** What the code holds, for people who cannot see it (the text beside it says the same). */
  label: string;
}

interface Run {
  x: number;
  y: number;
  width: number;
}

/** Dark modules merged into horizontal runs: a few hundred rectangles instead of a thousand. */
function darkRuns(matrix: readonly (readonly boolean[])[]): Run[] {
  const runs: Run[] = [];
  matrix.forEach((row, y) => {
    let start = -1;
    for (let x = 0; x <= row.length; x += 1) {
      const dark = x < row.length && row[x] === true;
      if (dark && start < 0) start = x;
      if (!dark && start >= 0) {
        runs.push({ x: start, y, width: x - start });
        start = -1;
      }
    }
  });
  return runs;
}

/**
 * A QR code drawn as React SVG elements. The page enforces Trusted Types, so no markup string is
 * ever parsed into the DOM (a library's ready-made SVG string would need innerHTML). Always dark
 * on white, whatever the colour scheme: scanners expect that contrast.
 */
export function QrCode({ value, label }: QrCodeProps) {
  const { size, runs } = useMemo(() => {
    // Medium error correction survives a phone camera's glare; the border is the quiet zone.
    const qr = encode(value, { ecc: 'M', border: 2 });
    return { size: qr.size, runs: darkRuns(qr.data) };
  }, [value]);
  return (
    <svg
      className="qr-code"
      viewBox={`0 0 ${String(size)} ${String(size)}`}
      role="img"
      aria-label={label}
      shapeRendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      {runs.map((run) => (
        <rect
          key={`${String(run.x)}-${String(run.y)}`}
          x={run.x}
          y={run.y}
          width={run.width}
          height={1}
          fill="#000"
        />
      ))}
    </svg>
  );
}
