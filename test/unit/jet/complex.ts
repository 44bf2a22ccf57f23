/**
 * Complex arithmetic and the Cauchy integral formula, an independent reference for derivatives of any
 * order: f^(k)(z0) = k!/(2π r^k) ∫ f(z0 + r e^{iθ}) e^{−ikθ} dθ. The trapezoidal rule on N nodes is
 * spectrally accurate for a periodic analytic integrand (error ~ (r/R)^N, R the distance to the nearest
 * singularity), and its rounding error on J_k is about ε·max|f|·k!/r^k.
 */
export interface Complex {
  re: number;
  im: number;
}

export const complex = (re: number, im = 0): Complex => ({ re, im });

export const cadd = (a: Complex, b: Complex): Complex => complex(a.re + b.re, a.im + b.im);

export const csub = (a: Complex, b: Complex): Complex => complex(a.re - b.re, a.im - b.im);

export const cmul = (a: Complex, b: Complex): Complex =>
  complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);

export const cscale = (a: Complex, s: number): Complex => complex(a.re * s, a.im * s);

export function cdiv(a: Complex, b: Complex): Complex {
  const n = b.re * b.re + b.im * b.im;
  return complex((a.re * b.re + a.im * b.im) / n, (a.im * b.re - a.re * b.im) / n);
}

export const cexp = (a: Complex): Complex =>
  cscale(complex(Math.cos(a.im), Math.sin(a.im)), Math.exp(a.re));

/** Principal branch. */
export const clog = (a: Complex): Complex =>
  complex(Math.log(Math.hypot(a.re, a.im)), Math.atan2(a.im, a.re));

export const csin = (a: Complex): Complex =>
  complex(Math.sin(a.re) * Math.cosh(a.im), Math.cos(a.re) * Math.sinh(a.im));

export const ccos = (a: Complex): Complex =>
  complex(Math.cos(a.re) * Math.cosh(a.im), -Math.sin(a.re) * Math.sinh(a.im));

/** tanh(a + ib) = (sinh 2a + i sin 2b)/(cosh 2a + cos 2b). */
export function ctanh(z: Complex): Complex {
  const den = Math.cosh(2 * z.re) + Math.cos(2 * z.im);
  return complex(Math.sinh(2 * z.re) / den, Math.sin(2 * z.im) / den);
}

/** log(1 + e^z), principal branch: analytic for |Im z| < π. */
export const csoftplus = (z: Complex): Complex => clog(cadd(complex(1), cexp(z)));

/** Real derivatives f^(k)(center), k = 0..order, of a function real on the real axis. */
export function cauchyDerivatives(
  f: (z: Complex) => Complex,
  center: number,
  radius: number,
  order: number,
  nodes = 128,
): Float64Array {
  const derivatives = new Float64Array(order + 1);
  const samples: Complex[] = [];
  for (let n = 0; n < nodes; n++) {
    const theta = (2 * Math.PI * n) / nodes;
    samples.push(f(complex(center + radius * Math.cos(theta), radius * Math.sin(theta))));
  }
  let kFactorial = 1;
  for (let k = 0; k <= order; k++) {
    if (k > 0) kFactorial *= k;
    let sum = 0;
    samples.forEach((s, n) => {
      const theta = (2 * Math.PI * k * n) / nodes;
      // Re(s·e^{−ikθ})
      sum += s.re * Math.cos(theta) + s.im * Math.sin(theta);
    });
    derivatives[k] = (kFactorial * sum) / (nodes * radius ** k);
  }
  return derivatives;
}

/** max_θ |f| on the circle: the scale of the Cauchy reference's rounding error. */
export function maxOnCircle(
  f: (z: Complex) => Complex,
  center: number,
  radius: number,
  nodes = 128,
): number {
  let max = 0;
  for (let n = 0; n < nodes; n++) {
    const theta = (2 * Math.PI * n) / nodes;
    const v = f(complex(center + radius * Math.cos(theta), radius * Math.sin(theta)));
    max = Math.max(max, Math.hypot(v.re, v.im));
  }
  return max;
}
