/*
 * Loaded synchronously in <head> (an external file: the CSP allows no inline script) so the saved
 * theme applies before first paint. Also marks <html class="js"> so controls that need
 * JavaScript (the theme toggle, copy buttons) appear only when they work.
 */
const root = document.documentElement;
root.classList.add('js');
try {
  const saved = localStorage.getItem('hoplink-theme');
  if (saved === 'light' || saved === 'dark') root.dataset.theme = saved;
} catch {
  // Storage blocked (privacy settings): follow the system preference.
}
