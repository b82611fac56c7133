/* The reels player: the public feed (/api/reels) as a vertical swipe viewer. Plain JS, no
   build step; hls.js (vendor/) where the browser has Media Source Extensions.

   Each reel is a full-screen <section> in a scroll-snapped feed, so touch swipes, the
   mouse wheel and scrollIntoView all move one reel at a time. The reel on screen plays,
   muted until the viewer asks for sound (browsers refuse autoplay with sound); the next
   one is attached ahead with a buffer of one segment, so a swipe starts it at once. Reels
   further away are detached: a phone keeps at most three decoders and buffers. */
(function () {
  'use strict';

  var PAGE = 8;               // reels per feed request
  var AHEAD_BUFFER = 2;       // seconds buffered for a reel not on screen: one 2 s segment
  var PLAY_BUFFER = 30;       // seconds buffered for the reel on screen
  // a 1x1 lossy WebP: decoding it tells whether poster_webp_url can be shown
  var WEBP_PROBE = 'data:image/webp;base64,UklGRiQAAABXRUJQVlA4IBgAAAAwAQCdASoBAAEAAwA0JaQAA3AA/vuUAAA=';

  var feed = document.getElementById('feed');
  var template = document.getElementById('reel-template');
  var statusBox = document.getElementById('status');
  var statusText = document.getElementById('status-text');
  var retryButton = document.getElementById('status-retry');

  var slides = [];            // {reel, el, video, hls, attached, failed, userPaused, ...}
  var seen = Object.create(null);
  var nextUrl = '/api/reels?limit=' + PAGE;
  var loading = null;         // the feed request in flight, if any
  var current = -1;           // index of the reel on screen
  var aimed = null;           // {index, at}: where the last key press is scrolling to
  var muted = true;
  var webp = false;

  var nativeHls = document.createElement('video')
    .canPlayType('application/vnd.apple.mpegurl') !== '';

  // The viewer asked their browser to save data: nothing is fetched before it is watched.
  function saveData() {
    return Boolean(navigator.connection && navigator.connection.saveData);
  }

  function useHlsJs() {
    return typeof window.Hls === 'function' && window.Hls.isSupported();
  }

  function probeWebp() {
    return new Promise(function (resolve) {
      var img = new Image();
      img.onload = function () { resolve(img.width === 1); };
      img.onerror = function () { resolve(false); };
      img.src = WEBP_PROBE;
    });
  }

  // ---- the feed -------------------------------------------------------------------

  function loadMore() {
    if (loading || !nextUrl) return loading || Promise.resolve();
    var url = nextUrl;
    loading = fetch(url, { headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('the feed answered ' + response.status);
        return response.json();
      })
      .then(function (page) {
        nextUrl = page.next || null;
        (page.reels || []).forEach(function (reel) { addReel(reel, false); });
      })
      .finally(function () { loading = null; });
    return loading;
  }

  // A deep link (/#<id>) to a reel beyond the first page: fetch it and show it first.
  function addLinked(id) {
    return fetch('/api/reels/' + encodeURIComponent(id), { headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (reel) { if (reel && reel.id === id) addReel(reel, true); })
      .catch(function (err) { console.warn('reel', id, 'could not be loaded:', err); });
  }

  function addReel(reel, first) {
    if (!reel || seen[reel.id] || !(reel.hls_url || reel.mp4_url)) return;
    seen[reel.id] = true;
    var el = template.content.firstElementChild.cloneNode(true);
    var slide = {
      reel: reel,
      el: el,
      video: el.querySelector('video'),
      sound: el.querySelector('.reel-sound'),
      playButton: el.querySelector('.reel-play'),
      error: el.querySelector('.reel-error'),
      hls: null, attached: false, failed: false, recovered: false, userPaused: false
    };
    var title = reel.title || 'Untitled reel';
    el.dataset.id = reel.id;
    el.setAttribute('aria-label', title);
    el.querySelector('.reel-title').textContent = title;
    el.querySelector('.reel-badge').hidden = reel.state !== 'processing';
    slide.video.setAttribute('aria-label', title);
    var poster = (webp && reel.poster_webp_url) || reel.poster_url || reel.poster_webp_url;
    if (poster) slide.video.poster = poster;
    // Captions: a <track> of the reel's WebVTT, for hls.js and the MP4 alike. Native HLS
    // (Safari) shows the master playlist's subtitles rendition itself: no second copy.
    if (reel.captions_url && !(reel.hls_url && nativeHls && !useHlsJs())) {
      var track = document.createElement('track');
      track.kind = 'subtitles';
      track.label = 'Captions';
      track.srclang = 'en';
      track.src = reel.captions_url;
      // burned into the picture already: offered (screen readers, search, a viewer who
      // turns it on) but not shown by default, or every line would show twice
      track.default = !reel.captions_burned;
      slide.video.appendChild(track);
    }

    // a tap on the picture toggles sound, as on the large apps; the button does too
    slide.video.addEventListener('click', toggleMute);
    slide.sound.addEventListener('click', toggleMute);
    slide.playButton.addEventListener('click', function () { togglePause(slide); });
    slide.video.addEventListener('play', function () { showButtons(slide); });
    slide.video.addEventListener('pause', function () { showButtons(slide); });
    slide.video.addEventListener('error', function () {
      // hls.js reports its own errors (onHlsError); this is native HLS or the MP4
      if (slide.attached && !slide.hls) fail(slide, 'This reel can’t be played right now.');
    });

    if (first) {
      feed.insertBefore(el, feed.firstChild);
      slides.unshift(slide);
      if (current >= 0) current += 1;
    } else {
      feed.appendChild(el);
      slides.push(slide);
    }
    showButtons(slide);
    observer.observe(el);
  }

  // ---- media ----------------------------------------------------------------------

  function attach(slide, ahead) {
    if (slide.failed) return;
    if (slide.attached) { setBuffer(slide, ahead); return; }
    var reel = slide.reel;
    var video = slide.video;
    slide.attached = true;
    if (reel.hls_url && useHlsJs()) {
      var hls = new window.Hls({
        startLevel: 0,                // the smallest rung first: the first frame soonest
        capLevelToPlayerSize: true,   // no 1080p rung for a 390 px wide phone
        maxBufferLength: ahead ? AHEAD_BUFFER : PLAY_BUFFER,
        maxMaxBufferLength: ahead ? AHEAD_BUFFER : 2 * PLAY_BUFFER,
        enableWebVTT: false           // the <track> shows the captions (see addReel)
      });
      hls.on(window.Hls.Events.ERROR, function (_, data) { onHlsError(slide, data); });
      hls.loadSource(reel.hls_url);
      hls.attachMedia(video);
      slide.hls = hls;
    } else if (reel.hls_url && nativeHls) {
      video.preload = 'auto';
      video.src = reel.hls_url;     // processing reels too: the preview rung is in it
    } else if (reel.mp4_url) {
      video.preload = 'auto';
      video.src = reel.mp4_url;
    } else {
      // processing, and this browser has neither MSE nor native HLS for the preview
      fail(slide, 'This reel is still being processed. Try again in a minute.');
    }
  }

  // hls.js reads these on every tick, so a preloaded reel starts buffering in full when it
  // comes on screen, and one swiped away stops at what it holds.
  function setBuffer(slide, ahead) {
    if (!slide.hls) return;
    slide.hls.config.maxBufferLength = ahead ? AHEAD_BUFFER : PLAY_BUFFER;
    slide.hls.config.maxMaxBufferLength = ahead ? AHEAD_BUFFER : 2 * PLAY_BUFFER;
  }

  function detach(slide) {
    if (!slide.attached) return;
    slide.attached = false;
    if (slide.hls) {
      slide.hls.destroy();          // also empties the <video>
      slide.hls = null;
    } else {
      slide.video.removeAttribute('src');
      slide.video.load();           // frees the decoder; the poster shows again
    }
  }

  function onHlsError(slide, data) {
    if (!data.fatal) return;        // hls.js retries those by itself
    if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR && !slide.recovered) {
      slide.recovered = true;       // once: a decoder hiccup is often recoverable
      slide.hls.recoverMediaError();
      return;
    }
    fail(slide, 'This reel can’t be played right now.');
  }

  // One reel failing shows its message in place; the feed goes on around it.
  function fail(slide, message) {
    console.warn('reel', slide.reel.id + ':', message);
    detach(slide);
    slide.failed = true;
    slide.error.textContent = message;
    slide.error.hidden = false;
    showButtons(slide);
  }

  function play(slide) {
    var video = slide.video;
    video.muted = muted;
    var started = video.play();
    if (!started) return;
    started.catch(function (err) {
      if (err.name === 'NotAllowedError' && !video.muted) {
        setMuted(true);             // sound refused without a gesture: play muted
        video.play().catch(function () {});
      } else if (err.name !== 'AbortError') {  // AbortError: paused or swiped away first
        console.warn('reel', slide.reel.id, 'did not start:', err);
      }
    });
  }

  // ---- what is on screen ----------------------------------------------------------

  function activate(index) {
    if (index === current || !slides[index]) return;
    if (aimed && aimed.index === index) aimed = null;
    var previous = slides[current];
    if (previous) {
      previous.video.pause();
      previous.el.removeAttribute('aria-current');
    }
    current = index;
    var slide = slides[index];
    slide.el.setAttribute('aria-current', 'true');
    slides.forEach(function (other, i) {
      if (i === index - 1) setBuffer(other, true);  // kept for a swipe back
      else if (i !== index && i !== index + 1) detach(other);
    });
    attach(slide, false);
    slide.userPaused = false;
    if (!slide.failed) play(slide);
    if (slides[index + 1] && !saveData()) attach(slides[index + 1], true);
    if (history.replaceState) history.replaceState(null, '', '#' + slide.reel.id);
    if (slides.length - index <= 2) {
      loadMore().then(function () {
        if (current === index && slides[index + 1] && !saveData()) attach(slides[index + 1], true);
      }).catch(function (err) { console.warn('more reels could not be loaded:', err); });
    }
  }

  // The reel that covers most of the feed is the one on screen.
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting && entry.intersectionRatio >= 0.6) {
        activate(slides.findIndex(function (s) { return s.el === entry.target; }));
      }
    });
  }, { root: feed, threshold: [0.6] });

  // Keys pressed quickly step on from where the last one is heading, not from where the
  // smooth scroll is now (which would count two presses as one).
  function go(step) {
    var from = aimed && Date.now() - aimed.at < 1000 ? aimed.index : current;
    var target = slides[from + step];
    if (!target) return;
    aimed = { index: from + step, at: Date.now() };
    var smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    target.el.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'start' });
  }

  // ---- controls -------------------------------------------------------------------

  function setMuted(value) {
    muted = value;
    slides.forEach(showButtons);
  }

  function toggleMute() {
    setMuted(!muted);
    var slide = slides[current];
    if (!slide) return;
    slide.video.muted = muted;
    if (!muted && slide.video.paused && !slide.userPaused && !slide.failed) play(slide);
  }

  function togglePause(slide) {
    slide = slide || slides[current];
    if (!slide || slide.failed) return;
    if (slide.video.paused) {
      slide.userPaused = false;
      play(slide);
    } else {
      slide.userPaused = true;
      slide.video.pause();
    }
  }

  function showButtons(slide) {
    slide.sound.dataset.on = String(!muted);
    slide.sound.setAttribute('aria-label', muted ? 'Unmute' : 'Mute');
    var playing = !slide.video.paused;
    slide.playButton.dataset.playing = String(playing);
    slide.playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    slide.playButton.disabled = slide.failed;
  }

  document.addEventListener('keydown', function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    var onButton = event.target instanceof HTMLButtonElement;
    switch (event.key) {
      case 'ArrowDown': case 'PageDown': case 'j': go(1); break;
      case 'ArrowUp': case 'PageUp': case 'k': go(-1); break;
      case ' ': case 'Spacebar':
        if (onButton) return;       // a focused button's own space press wins
        togglePause(); break;
      case 'm': toggleMute(); break;
      default: return;
    }
    event.preventDefault();
  });

  feed.addEventListener('touchstart', function () { aimed = null; }, { passive: true });

  window.addEventListener('hashchange', function () {
    var id = decodeURIComponent(location.hash.slice(1));
    var index = slides.findIndex(function (s) { return s.reel.id === id; });
    if (index >= 0 && index !== current) slides[index].el.scrollIntoView({ block: 'start' });
  });

  document.addEventListener('visibilitychange', function () {
    var slide = slides[current];
    if (!slide || slide.failed) return;
    if (document.hidden) slide.video.pause();
    else if (!slide.userPaused) play(slide);
  });

  // ---- start ----------------------------------------------------------------------

  function showStatus(message, retry) {
    statusText.textContent = message;
    retryButton.hidden = !retry;
    statusBox.hidden = false;
  }

  retryButton.addEventListener('click', function () {
    statusBox.hidden = true;
    start();
  });

  function start() {
    var wanted = decodeURIComponent(location.hash.slice(1));
    probeWebp()
      .then(function (ok) { webp = ok; return loadMore(); })
      .then(function () { return wanted && !seen[wanted] ? addLinked(wanted) : null; })
      .then(function () {
        if (!slides.length) {
          showStatus('No reels yet. Publish one from reeleditor and it will show up here.');
          return;
        }
        var index = Math.max(0, slides.findIndex(function (s) { return s.reel.id === wanted; }));
        slides[index].el.scrollIntoView({ block: 'start' });
        activate(index);
        feed.focus({ preventScroll: true });
      })
      .catch(function (err) {
        console.warn('the feed could not be loaded:', err);
        showStatus('The reels could not be loaded. Check the connection and try again.', true);
      });
  }

  start();
})();
