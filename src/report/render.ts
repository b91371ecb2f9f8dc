// Vega-Lite → Vega → SVG in Node (vega's headless view; no browser), SVG → PNG with resvg.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import type { Json } from './specs.ts';

export interface Compiled {
  vega: Json;
  /** Everything vega-lite logged at warn level or above while compiling. */
  warnings: string[];
}

export function compileSpec(spec: Json): Compiled {
  const warnings: string[] = [];
  const note = (...args: unknown[]): void => void warnings.push(args.map(String).join(' '));
  const logger = {
    level(): number {
      return 2;
    },
    error: note,
    warn: note,
    info(): unknown {
      return logger;
    },
    debug(): unknown {
      return logger;
    },
  };
  const out = compile(spec as unknown as TopLevelSpec, { logger: logger as never });
  return { vega: out.spec as unknown as Json, warnings };
}

/** SVG text at `scale`× the spec's CSS pixel size. */
export async function renderSvg(vegaSpec: Json, scale = 1): Promise<string> {
  const view = new vega.View(vega.parse(vegaSpec as vega.Spec), { renderer: 'none' });
  try {
    return await view.toSVG(scale);
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string): { png: Buffer; width: number; height: number } {
  const font = { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' };
  const image = new Resvg(svg, { font, background: 'white' }).render();
  return { png: image.asPng(), width: image.width, height: image.height };
}
