/*
 * Deferred enhancements; every page works without them. The theme toggle cycles
 * auto → the opposite of the system theme → the system theme made explicit → auto, so the first
 * click always changes what the visitor sees. Copy buttons copy their `data-copy` text.
 */
type Choice = 'auto' | 'light' | 'dark';

const STORAGE_KEY = 'hoplink-theme';
const LABELS: Record<Choice, string> = { auto: 'Auto', light: 'Light', dark: 'Dark' };
const root = document.documentElement;
const announcer = document.getElementById('announcer');

/** Says `message` through the page's polite live region (screen readers read it once). */
function announce(message: string): void {
  if (!announcer) return;
  announcer.textContent = '';
  // A fresh text node after clearing makes repeated, identical messages announce again.
  window.setTimeout(() => {
    announcer.textContent = message;
  }, 50);
}

function currentChoice(): Choice {
  const theme = root.dataset.theme;
  return theme === 'light' || theme === 'dark' ? theme : 'auto';
}

function nextChoice(choice: Choice): Choice {
  const systemDark = window.matchMedia('(prefers-color-scheme: dark)').matches;
  const cycle: Choice[] = ['auto', systemDark ? 'light' : 'dark', systemDark ? 'dark' : 'light'];
  return cycle[(cycle.indexOf(choice) + 1) % cycle.length] ?? 'auto';
}

function saveChoice(choice: Choice): void {
  try {
    if (choice === 'auto') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Not remembered, but still applied to this page.
  }
}

function setUpThemeToggle(): void {
  const toggle = document.querySelector<HTMLElement>('[data-theme-toggle]');
  if (!toggle) return;
  toggle.addEventListener('click', () => {
    const choice = nextChoice(currentChoice());
    if (choice === 'auto') delete root.dataset.theme;
    else root.dataset.theme = choice;
    saveChoice(choice);
    announce(`Theme: ${LABELS[choice]}`);
  });
}

/** Copies through the Clipboard API, or a selected text area where it is missing (plain HTTP). */
async function copyText(text: string): Promise<boolean> {
  if (window.isSecureContext && 'clipboard' in navigator) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission refused: try the fallback.
    }
  }
  const buffer = document.createElement('textarea');
  buffer.value = text;
  buffer.readOnly = true;
  buffer.className = 'copy-buffer';
  document.body.append(buffer);
  buffer.select();
  let copied: boolean;
  try {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the only way without the Clipboard API
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  buffer.remove();
  return copied;
}

const resetTimers = new WeakMap<HTMLElement, number>();

function setUpCopyButtons(): void {
  document.addEventListener('click', (event) => {
    const target = event.target;
    const button =
      target instanceof Element ? target.closest<HTMLElement>('button[data-copy]') : null;
    if (!button) return;
    const text = button.dataset.copy ?? '';
    const label = button.querySelector('[data-copy-label]') ?? button;
    const original = button.dataset.copyText ?? label.textContent;
    button.dataset.copyText = original;
    void copyText(text).then((copied) => {
      label.textContent = copied ? 'Copied' : 'Copy failed';
      button.classList.toggle('is-copied', copied);
      announce(
        copied
          ? `Copied ${text} to the clipboard`
          : 'Could not copy; select the link and copy it by hand',
      );
      window.clearTimeout(resetTimers.get(button));
      resetTimers.set(
        button,
        window.setTimeout(() => {
          label.textContent = original;
          button.classList.remove('is-copied');
        }, 2000),
      );
    });
  });
}

setUpThemeToggle();
setUpCopyButtons();
