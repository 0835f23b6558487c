// The upload page's whole logic: plain browser JavaScript, no build step, no third-party code.
// It talks to the REST API like any cross-origin page would (CORS), with the API key or Cognito ID
// token the person pastes (`Authorization: Bearer`, docs/authentication.md).
'use strict';

(() => {
  /** Status polling after a presigned upload: at most POLL_ATTEMPTS tries, POLL_INTERVAL_MS apart. */
  const POLL_INTERVAL_MS = 1000;
  const POLL_ATTEMPTS = 180;

  const byId = (id) => document.getElementById(id);
  const settings = { apiUrl: '', directUploadMaxBytes: 0, maxImageBytes: 0 };

  function formatBytes(bytes) {
    if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
    if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
    return `${bytes} B`;
  }

  /** An error to show as title + detail (RFC 9457 problem fields). */
  class Problem extends Error {
    constructor(title, detail) {
      super(detail);
      this.title = title;
      this.detail = detail;
    }
  }

  /** One HTTP exchange through XMLHttpRequest, which (unlike fetch) reports upload progress. */
  function send(method, url, { headers = {}, body = null, onProgress } = {}) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      if (onProgress) {
        xhr.upload.addEventListener('progress', (event) => {
          if (event.lengthComputable) onProgress(event.loaded, event.total);
        });
      }
      xhr.addEventListener('load', () => resolve({ status: xhr.status, text: xhr.responseText, header: (name) => xhr.getResponseHeader(name) }));
      // Status 0: the browser refused the answer (CORS) or the connection failed; the page cannot tell which.
      xhr.addEventListener('error', () => reject(new Problem('Network error', `${method} ${url} failed before an answer could be read (server down, or this page's origin not allowed by CORS)`)));
      xhr.addEventListener('timeout', () => reject(new Problem('Timed out', `${method} ${url} took too long`)));
      xhr.send(body);
    });
  }

  function json(text) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  /** The API's problem+json as a Problem, or a generic one for anything else. */
  function apiProblem(response) {
    const body = json(response.text);
    if (body && typeof body.title === 'string') return new Problem(body.title, typeof body.detail === 'string' ? body.detail : `HTTP ${response.status}`);
    return new Problem(`HTTP ${response.status}`, response.text.slice(0, 300) || 'the API gave no detail');
  }

  /** S3 answers a refused POST with `<Error><Code>…</Code><Message>…</Message></Error>`. */
  function s3Problem(response) {
    const doc = new DOMParser().parseFromString(response.text || '<Error/>', 'application/xml');
    const code = doc.querySelector('Code')?.textContent;
    const message = doc.querySelector('Message')?.textContent;
    return new Problem(`S3 refused the upload (HTTP ${response.status}${code ? `, ${code}` : ''})`, message || 'no detail');
  }

  function apiUrl(path) {
    return `${byId('api-url').value.replace(/\/+$/, '')}${path}`;
  }

  /**
   * The credential from the field, as the API wants it after "Bearer ". People paste what they
   * copied: the whole header value ("Bearer eyJ…", any case, as RFC 9110 §11.1 makes the scheme
   * case-insensitive), even the header line ("Authorization: Bearer …"), with spaces or tabs
   * around it (a password field already drops line breaks). Those are removed. Anything left that
   * no API key or JWT contains (a space inside, a non-ASCII character such as a copied "…") is
   * refused here, because a header cannot carry it and the API could only say the header is malformed.
   */
  function credential() {
    const token = byId('credential').value.trim().replace(/^authorization\s*:\s*/i, '').replace(/^bearer(?:\s+|$)/i, '');
    if (token === '') throw new Problem('Credential missing', 'paste your API key (ik_…) or Cognito ID token (eyJ…, from ingest login) into the "API key or ID token" field first');
    const bad = token.search(/[^\x21-\x7e]/);
    if (bad >= 0) {
      const character = String.fromCodePoint(token.codePointAt(bad));
      const what = /\s/.test(character) ? 'a space' : `the character "${character}"`;
      throw new Problem('Credential not valid', `the API key or ID token has ${what} at position ${bad + 1}, which no key or token contains; paste exactly one key or token`);
    }
    return token;
  }

  function authHeaders() {
    return { Authorization: `Bearer ${credential()}` };
  }

  /** The list item that shows one file's progress and outcome. */
  function fileView(file, route) {
    const item = document.createElement('li');
    item.className = 'upload';
    item.dataset.fileName = file.name;
    item.dataset.route = route;
    item.dataset.status = 'UPLOADING';
    const header = document.createElement('header');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = file.name;
    const how = document.createElement('span');
    how.className = 'route';
    how.textContent = `${formatBytes(file.size)} · ${route === 'direct' ? 'direct POST /v1/images' : 'presigned S3 POST'}`;
    header.append(name, how);
    const progress = document.createElement('progress');
    progress.max = 100;
    progress.value = 0;
    const state = document.createElement('div');
    state.className = 'state';
    state.textContent = 'uploading…';
    const details = document.createElement('div');
    item.append(header, progress, state, details);
    byId('uploads').append(item);
    return {
      progress(loaded, total) {
        item.dataset.progressEvents = String(Number(item.dataset.progressEvents || 0) + 1);
        progress.value = Math.round((loaded / total) * 100);
        progress.title = `${formatBytes(loaded)} of ${formatBytes(total)}`;
      },
      uploaded() {
        progress.value = 100;
        state.textContent = 'uploaded; processing…';
        item.dataset.status = 'RECEIVED';
      },
      record(record) {
        item.dataset.status = record.status;
        item.dataset.imageId = record.imageId;
        const size = record.width && record.height ? `${record.width}×${record.height} ${record.format}` : record.format || '';
        state.textContent = `${record.status} · ${size} · source ${record.source} · id ${record.imageId}`;
        details.replaceChildren();
        if (record.status === 'FAILED') {
          showProblem(details, new Problem(record.error?.code || 'FAILED', record.error?.message || 'the image could not be processed'));
          return;
        }
        const variants = document.createElement('div');
        variants.className = 'variants';
        // Smallest first: the thumbnail leads, as on any gallery page.
        const ordered = Object.entries(record.variants || {}).sort(([a, x], [b, y]) => x.width * x.height - y.width * y.height || a.localeCompare(b));
        for (const [variantName, variant] of ordered) {
          let url;
          try {
            url = new URL(variant.url);
          } catch {
            continue;
          }
          if (url.protocol !== 'https:' && url.protocol !== 'http:') continue;
          const figure = document.createElement('figure');
          const img = document.createElement('img');
          img.alt = `${variantName} of ${file.name}`;
          img.dataset.variant = variantName;
          img.src = url.href;
          const caption = document.createElement('figcaption');
          caption.textContent = `${variantName} ${variant.width}×${variant.height} ${variant.format}`;
          figure.append(img, caption);
          variants.append(figure);
        }
        details.append(variants);
      },
      failed(problem) {
        item.dataset.status = 'ERROR';
        state.textContent = 'not processed';
        details.replaceChildren();
        showProblem(details, problem);
      },
    };
  }

  function showProblem(container, problem) {
    const box = document.createElement('div');
    box.className = 'problem';
    box.setAttribute('role', 'alert');
    const title = document.createElement('strong');
    title.className = 'problem-title';
    title.textContent = problem.title;
    const detail = document.createElement('span');
    detail.className = 'problem-detail';
    detail.textContent = problem.detail;
    box.append(title, detail);
    container.append(box);
  }

  /** Small files: one multipart POST to the API, which answers with the processed record. */
  async function uploadDirect(file, view) {
    const form = new FormData();
    form.append('file', file, file.name);
    const response = await send('POST', apiUrl('/v1/images'), { headers: authHeaders(), body: form, onProgress: view.progress });
    view.uploaded();
    const record = json(response.text);
    if (response.status === 201) return record;
    // A rejected image is kept as a FAILED record; the problem's title and detail say why.
    throw apiProblem(response);
  }

  /** Large files: ask for a presigned POST, send the bytes to S3, then poll the record. */
  async function uploadPresigned(file, view) {
    if (!file.type.startsWith('image/')) throw new Problem('Not an image', `"${file.name}" has type "${file.type || 'unknown'}"; only image files can be uploaded`);
    const created = await send('POST', apiUrl('/v1/uploads'), {
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ fileName: file.name }),
    });
    if (created.status !== 201) throw apiProblem(created);
    const { imageId, upload } = json(created.text);
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('Content-Type', file.type);
    form.append('file', file, file.name); // S3 ignores every field after `file`.
    const posted = await send('POST', upload.url, { body: form, onProgress: view.progress });
    if (posted.status < 200 || posted.status >= 300) throw s3Problem(posted);
    view.uploaded();
    return pollRecord(imageId);
  }

  /** GET /v1/images/{id} until the record leaves RECEIVED (404 until the upload handler has run). */
  async function pollRecord(imageId) {
    for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt += 1) {
      const response = await send('GET', apiUrl(`/v1/images/${encodeURIComponent(imageId)}`), { headers: authHeaders() });
      if (response.status === 200) {
        const record = json(response.text);
        if (record && record.status !== 'RECEIVED') return record;
      } else if (response.status !== 404) {
        throw apiProblem(response);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    throw new Problem('Still processing', `image ${imageId} was not processed within ${(POLL_ATTEMPTS * POLL_INTERVAL_MS) / 1000} s; check GET /v1/images/${imageId} later`);
  }

  async function uploadFile(file) {
    const route = file.size <= settings.directUploadMaxBytes ? 'direct' : 'presigned';
    const view = fileView(file, route);
    try {
      if (file.size === 0) throw new Problem('Empty file', `"${file.name}" has no bytes`);
      if (file.size > settings.maxImageBytes) throw new Problem('File too large', `${formatBytes(file.size)} is over the ${formatBytes(settings.maxImageBytes)} limit`);
      view.record(route === 'direct' ? await uploadDirect(file, view) : await uploadPresigned(file, view));
    } catch (error) {
      view.failed(error instanceof Problem ? error : new Problem('Unexpected error', String(error && error.message ? error.message : error)));
    }
  }

  function uploadAll(files) {
    byId('page-error').hidden = true;
    return Promise.all(Array.from(files, (file) => uploadFile(file)));
  }

  function wireDropZone() {
    // A file dropped beside the zone must not make the browser navigate away to it.
    for (const type of ['dragover', 'drop']) window.addEventListener(type, (event) => event.preventDefault());
    const zone = byId('drop-zone');
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('dragging');
      if (event.dataTransfer && event.dataTransfer.files.length > 0) void uploadAll(event.dataTransfer.files);
    });
    const input = byId('files');
    input.addEventListener('change', () => {
      const files = Array.from(input.files || []);
      input.value = '';
      void uploadAll(files);
    });
  }

  async function start() {
    wireDropZone();
    try {
      const response = await fetch('config.json', { cache: 'no-store' });
      Object.assign(settings, await response.json());
      byId('api-url').value = settings.apiUrl;
      byId('direct-limit').textContent = formatBytes(settings.directUploadMaxBytes);
      byId('max-bytes').textContent = formatBytes(settings.maxImageBytes);
      document.body.dataset.ready = 'true';
    } catch (error) {
      byId('page-error').textContent = `could not load config.json: ${error.message}`;
      byId('page-error').hidden = false;
    }
  }

  void start();
})();
