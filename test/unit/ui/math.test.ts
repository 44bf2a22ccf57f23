import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { ESTIMATORS } from '../../../src/train/options.ts';
import { baseFor, dashboardDefaults, dashboardPdes } from '../../../src/ui/dashboardOptions.ts';
import { KATEX_OPTIONS, splitMath, texNumber } from '../../../src/ui/math.ts';
import { planRun, type RunPlan } from '../../../src/ui/runPlan.ts';
import { explainEstimate } from '../../../src/ui/teachingView.ts';

/**
 * The page's formulas on the CPU: sentences split at their `$` signs, numbers written as TeX,
 * and every formula the teaching view can show (each PDE with each estimator it has, collapsed
 * or not) typeset by KaTeX with the page's strict settings, with no TeX left in the plain text
 * around them.
 */

const limits = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 32 };

/** Every plan the dashboard can run at the default sizes, one per PDE, estimator and collapse. */
function everyPlan(): RunPlan[] {
  const plans: RunPlan[] = [];
  for (const pde of dashboardPdes) {
    for (const estimator of ESTIMATORS) {
      for (const collapsed of [true, false]) {
        const planned = planRun(
          { ...baseFor(dashboardDefaults, pde.id), estimator, collapsed },
          limits,
        );
        if (planned.ok) plans.push(planned.plan);
      }
    }
  }
  return plans;
}

function typeset(tex: string, displayMode: boolean): string {
  return katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode });
}

describe('splitMath', () => {
  it('cuts a sentence into text and the TeX between $ signs', () => {
    expect(splitMath('scaled by $d/B = 2.5$.')).toEqual([
      { math: false, text: 'scaled by ' },
      { math: true, text: 'd/B = 2.5' },
      { math: false, text: '.' },
    ]);
    expect(splitMath('$u_2$ and $J_2$')).toEqual([
      { math: true, text: 'u_2' },
      { math: false, text: ' and ' },
      { math: true, text: 'J_2' },
    ]);
    expect(splitMath('no formula')).toEqual([{ math: false, text: 'no formula' }]);
  });

  it('refuses an unpaired $', () => {
    expect(() => splitMath('costs $5')).toThrow(/unpaired \$ in "costs \$5"/);
  });
});

describe('texNumber', () => {
  it("writes formatValue's digits without trailing zeros, exponents as powers of ten", () => {
    expect(texNumber(2.5)).toBe('2.5');
    expect(texNumber(4)).toBe('4');
    expect(texNumber(-0.19784)).toBe('-0.1978');
    expect(texNumber(1 / 3)).toBe('0.3333');
    expect(texNumber(1.5e-5)).toBe(String.raw`1.5 \times 10^{-5}`);
    expect(texNumber(-2.0004e7)).toBe(String.raw`-2 \times 10^{7}`);
    expect(texNumber(0)).toBe('0');
    expect(texNumber(NaN)).toBe(String.raw`\text{NaN}`);
    expect(texNumber(-Infinity)).toBe(String.raw`-\infty`);
    for (const value of [1.5e-5, -2e7, NaN, Infinity]) {
      expect(() => typeset(texNumber(value), false)).not.toThrow();
    }
  });
});

describe('the teaching view’s formulas', () => {
  const plans = everyPlan();

  it('cover every dashboard PDE with more than one estimator', () => {
    expect(new Set(plans.map((p) => p.pde.id)).size).toBe(dashboardPdes.length);
    expect(plans.length).toBeGreaterThan(2 * dashboardPdes.length);
  });

  it('the strict settings refuse what is not TeX, so the checks below can fail', () => {
    expect(() => typeset(String.raw`\frac{1}{`, false)).toThrow(katex.ParseError);
    expect(() => typeset(String.raw`\notacommand u`, false)).toThrow(katex.ParseError);
    // Letters outside math's alphabet: strict 'error' refuses them rather than warn.
    expect(() => typeset('u = é', false)).toThrow(katex.ParseError);
    // An untrusted link is shown as its source, never made a link (with trust it would be one).
    const link = String.raw`\href{https://example.org}{u}`;
    expect(katex.renderToString(link, { ...KATEX_OPTIONS, trust: true })).toContain('<a href');
    expect(typeset(link, false)).not.toContain('<a ');
  });

  it('PDE, exact solution, operator and its quantities typeset for every plan', () => {
    for (const plan of plans) {
      const quantities = plan.operator.quantities.map((q) => q.tex);
      for (const tex of [plan.pde.tex, plan.operator.tex, ...quantities]) {
        expect(
          () => typeset(tex, true),
          `${plan.pde.id}/${plan.options.estimator}: ${tex}`,
        ).not.toThrow();
      }
    }
  });

  it('the estimate sentence: each formula typesets, and its plain text holds no TeX', () => {
    let formulas = 0;
    for (const plan of plans) {
      const sentence = explainEstimate(plan);
      const context = `${plan.pde.id}/${plan.options.estimator}: ${sentence}`;
      for (const segment of splitMath(sentence)) {
        if (segment.math) {
          formulas++;
          expect(() => typeset(segment.text, false), `${context}\n${segment.text}`).not.toThrow();
        } else {
          expect(segment.text, context).not.toMatch(/[\\^_{}]/);
        }
      }
    }
    expect(formulas).toBeGreaterThan(5 * plans.length);
  });

  it('the sparse sentence shows its scale d/B as a formula', () => {
    const planned = planRun(
      { ...dashboardDefaults, estimator: 'sparse', dimension: 10, jetsPerPoint: 4 },
      limits,
    );
    if (!planned.ok) throw new Error(planned.problem);
    expect(explainEstimate(planned.plan)).toContain('scaled by $d/B = 2.5$.');
  });

  it('the order-k sentence names the k-jets, how J_k is read and its k! scale', () => {
    const sentence = (k: number, estimator: string, dimension: number, jetsPerPoint: number) => {
      const planned = planRun(
        {
          ...baseFor(dashboardDefaults, `diagonal-order-${k}`),
          estimator,
          dimension,
          jetsPerPoint,
        },
        limits,
      );
      if (!planned.ok) throw new Error(planned.problem);
      return explainEstimate(planned.plan);
    };
    // k = 4, sparse B = 2 of d = 5: one-hot 4-jets, J_4 = 4!·u_4 = ∂⁴u/∂x_i⁴, scale d/B = 2.5.
    const sparse = sentence(4, 'sparse', 5, 2);
    expect(sparse).toContain('$B = 2$ 4-jets whose first tangent is a coordinate vector $e_i$');
    expect(sparse).toContain(String.raw`$J_4 = 4!\,u_4 = \partial^{4} u/\partial x_i^{4}$`);
    expect(sparse).toContain('scaled by $d/B = 2.5$');
    expect(sparse).toContain('$J_4$ is $4! = 24$ times the stored one');
    // k = 8, exact at d = 3: all three one-hot 8-jets, 8! = 40320.
    const exact = sentence(8, 'exact', 3, 3);
    expect(exact).toContain(String.raw`all $d = 3$ 8-jets with first tangent $e_1, \dots, e_d$`);
    expect(exact).toContain('$8! = 40320$');
  });

  it('a box problem’s sentence gives its construction and how each partial is read', () => {
    const sentence = (pde: string) => {
      const planned = planRun(baseFor(dashboardDefaults, pde), limits);
      if (!planned.ok) throw new Error(planned.problem);
      return explainEstimate(planned.plan);
    };
    // 2-D KdV (kdv2d.ts): the ±s pair along y, then u_y = (J₂⁺ − J₂⁻)/2 and
    // u_ty + u_xxxy = (J₅⁺ − J₅⁻)/20, and one jet along y for u_yy.
    const kdv = sentence('kdv-2d');
    expect(kdv).toContain('jet 1: $v_1 = e_x, v_2 = e_y, v_3 = e_t$');
    expect(kdv).toContain('jet 2: $v_1 = e_x, v_2 = -e_y, v_3 = e_t$');
    expect(kdv).toContain('jet 3: $v_1 = e_y$');
    expect(kdv).toContain(String.raw`$u_{y} = \tfrac{1}{2}J_2^{(1)} -\tfrac{1}{2}J_2^{(2)}$`);
    expect(kdv).toContain(
      String.raw`$u_{ty}+u_{xxxy} = \tfrac{1}{20}J_5^{(1)} -\tfrac{1}{20}J_5^{(2)}$`,
    );
    expect(kdv).toContain('3 jets of order 5');
    // 64 collocation points, half as many data points on the faces (HIGH_ORDER_DATA_LOSS).
    expect(kdv).toContain('at 32 points');
    // 2-D KP (kp2d.ts): v_3 = e_t/4 puts u_tx next to u_xxxx in J_4.
    expect(sentence('kp-2d')).toContain(String.raw`$v_1 = e_x, v_3 = \tfrac{1}{4}\,e_t$`);
    // g-KdV keeps r_x and r_t at weight 1 (gpinnWeight's default there).
    expect(sentence('gkdv-1d')).toMatch(/\$r_x = .*\$ \(weight 1\), \$r_t = .*\$ \(weight 1\)/);
  });
});
