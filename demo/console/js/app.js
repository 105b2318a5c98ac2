// Entry point: session check, login / logout, and a small hash router over the views.
/* global URLSearchParams */
import { get, post } from './api.js';
import { clustersView } from './clusters.js';
import { clusterDetailView } from './cluster-detail.js';
import { clear, start } from './live.js';
import { managementView } from './management.js';
import { providersView } from './providers.js';
import { currentRole, isPlatform, onSessionChange, selectTeam, selectedTeam, setMe } from './session.js';
import { terminalView } from './terminal.js';

const $ = (id) => document.getElementById(id);
let current;

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [page = 'clusters', ...rest] = parts;
  if (page === 'clusters' && rest.length === 2) return clusterDetailView(rest[0], rest[1]);
  if (page === 'providers') return providersView();
  if (page === 'management') return managementView();
  if (page === 'terminal' && rest[0] === 'management') return terminalView('management');
  if (page === 'terminal' && rest[0] === 'tenant' && rest.length === 3) return terminalView('tenant', rest[1], rest[2]);
  return clustersView();
}

function render() {
  current?.dispose?.();
  const view = route();
  current = view;
  $('app-view').replaceChildren(view.el);
  const page = location.hash.replace(/^#\/?/, '').split('/')[0] || 'clusters';
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === page);
}

/** The team switcher: platform roles may also work across all teams; the role shown is the one that counts. */
function drawSession(me) {
  const select = $('team-switcher');
  const teams = me?.teams ?? [];
  const options = [
    ...(isPlatform() ? [{ value: '', label: 'All teams' }] : []),
    ...teams.map((t) => ({ value: t.name, label: `${t.name} (${t.role})` })),
  ];
  select.replaceChildren(
    ...options.map((o) => {
      const option = document.createElement('option');
      option.value = o.value;
      option.textContent = o.label;
      return option;
    }),
  );
  select.value = selectedTeam();
  $('team-box').hidden = !me || options.length === 0;
  const role = currentRole();
  $('role').textContent = me
    ? role
      ? `${role}${isPlatform() && !selectedTeam() ? ' (platform)' : ''}`
      : 'no team'
    : '';
  for (const a of document.querySelectorAll('[data-nav="management"]')) a.hidden = !isPlatform();
}

$('team-switcher').addEventListener('change', (ev) => selectTeam(ev.currentTarget.value));

onSessionChange(() => {
  if (!$('app-view').hidden) render();
});

function showLogin() {
  setMe(undefined);
  drawSession(undefined);
  current?.dispose?.();
  current = undefined;
  $('app-view').replaceChildren();
  $('app-view').hidden = true;
  $('nav').hidden = true;
  $('live').hidden = true;
  $('logout').hidden = true;
  $('user').textContent = '';
  $('login-view').hidden = false;
  $('login-form').reset();
  $('login-form').elements.username.focus();
  void showSsoButtons();
}

async function showSsoButtons() {
  const box = $('sso-buttons');
  box.replaceChildren();
  // Why a single sign-on ended here (the server redirects to /login?error=<code>; it also holds the messages).
  let errorMessages = {};
  try {
    const answer = await get('/api/auth/providers');
    const providers = answer.providers ?? [];
    errorMessages = answer.errorMessages ?? {};
    for (const p of providers) {
      const a = document.createElement('a');
      a.className = 'button sso-button';
      a.href = p.loginUrl;
      a.textContent = p.buttonLabel;
      box.append(a);
    }
  } catch {
    // no SSO buttons
  }
  const code = new URLSearchParams(location.search).get('error');
  if (code) $('login-error').textContent = errorMessages[code] ?? `Sign-in failed (${code}).`;
}

function showApp(me) {
  const username = me.name || me.email || me.username;
  setMe(me);
  drawSession(me);
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('nav').hidden = false;
  $('live').hidden = false;
  $('logout').hidden = false;
  $('user').textContent = username;
  render();
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  $('login-error').textContent = '';
  try {
    const res = await post('/api/auth/login', {
      username: form.elements.username.value,
      password: form.elements.password.value,
    });
    showApp(res.user);
  } catch (err) {
    $('login-error').textContent = err.message;
  }
});

$('logout').addEventListener('click', async () => {
  let idpLogout;
  try {
    idpLogout = (await post('/api/auth/logout'))?.logoutUrl;
  } catch {
    // the cookie is cleared either way
  }
  clear();
  // SSO sessions also end at the identity provider when it offers RP-initiated logout.
  if (idpLogout) location.assign(idpLogout);
  else showLogin();
});

window.addEventListener('hashchange', () => {
  if (!$('app-view').hidden) render();
});

start();
get('/api/auth/me').then(
  (me) => showApp(me),
  () => showLogin(),
);
