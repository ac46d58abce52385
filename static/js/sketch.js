// A short sketch of a song's features, synthesised in the browser with the Web Audio API.
//
// The demo catalog is generated, so its songs have no recording to play. A button with
// data-sketch and data-key (pitch class 0-11), data-mode (1 major, 0 minor), data-tempo (BPM) and
// data-energy (0-1) plays four bars from them: a chord progression in the key and mode, an
// arpeggio at the tempo, denser, brighter and with a hi-hat as the energy rises. The page labels it
// as a sketch of the features, not the song. Nothing is fetched; the CSP needs no change.
(function () {
  "use strict";
  var MAJOR = [0, 2, 4, 5, 7, 9, 11];
  var MINOR = [0, 2, 3, 5, 7, 8, 10];
  // Chord roots as scale degrees: I-V-vi-IV in major, i-VI-III-VII in minor (common, so recognisable).
  var PROGRESSION = { major: [0, 4, 5, 3], minor: [0, 5, 2, 6] };
  var current = null; // { context, button }

  function clamp(value, low, high, fallback) {
    var number = parseFloat(value);
    return isNaN(number) ? fallback : Math.min(high, Math.max(low, number));
  }

  function hertz(midi) {
    return 440 * Math.pow(2, (midi - 69) / 12);
  }

  function degreeNote(scale, root, degree) {
    return root + scale[degree % 7] + 12 * Math.floor(degree / 7);
  }

  function tone(context, out, midi, start, length, wave, level) {
    var oscillator = context.createOscillator();
    var gain = context.createGain();
    oscillator.type = wave;
    oscillator.frequency.value = hertz(midi);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(level, start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    oscillator.connect(gain);
    gain.connect(out);
    oscillator.start(start);
    oscillator.stop(start + length + 0.02);
    return oscillator;
  }

  function hat(context, out, start, level) {
    var length = 0.05;
    var buffer = context.createBuffer(1, Math.ceil(context.sampleRate * length), context.sampleRate);
    var samples = buffer.getChannelData(0);
    for (var i = 0; i < samples.length; i++) samples[i] = (Math.random() * 2 - 1) * (1 - i / samples.length);
    var source = context.createBufferSource();
    var filter = context.createBiquadFilter();
    var gain = context.createGain();
    source.buffer = buffer;
    filter.type = "highpass";
    filter.frequency.value = 7000;
    gain.gain.value = level;
    source.connect(filter);
    filter.connect(gain);
    gain.connect(out);
    source.start(start);
  }

  function label(button, playing) {
    button.setAttribute("aria-pressed", playing ? "true" : "false");
    var text = button.querySelector(".sketch-label");
    if (text) text.textContent = playing ? "Stop the sketch" : "Play a sketch";
  }

  function stop() {
    if (!current) return;
    var was = current;
    current = null;
    label(was.button, false);
    was.context.close();
  }

  function play(button) {
    stop();
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      button.disabled = true;
      button.querySelector(".sketch-label").textContent = "This browser can't play sketches";
      return;
    }
    var data = button.dataset;
    var key = Math.round(clamp(data.key, 0, 11, 0));
    var mode = data.mode === "0" ? "minor" : "major";
    var beat = 60 / clamp(data.tempo, 60, 180, 100);
    var energy = clamp(data.energy, 0, 1, 0.5);
    var context = new Context();
    var master = context.createGain();
    var brightness = context.createBiquadFilter();
    master.gain.value = 0.6;
    brightness.type = "lowpass";
    brightness.frequency.value = 600 + 4400 * energy; // brighter with energy
    brightness.connect(master);
    master.connect(context.destination);

    var scale = mode === "minor" ? MINOR : MAJOR;
    var root = 48 + key; // C3 + key
    var wave = energy < 0.35 ? "sine" : energy < 0.7 ? "triangle" : "sawtooth";
    var perBeat = energy < 0.4 ? 2 : energy < 0.75 ? 3 : 4; // arpeggio notes per beat
    var start = context.currentTime + 0.05;
    var last = null;
    PROGRESSION[mode].forEach(function (degree, bar) {
      var barStart = start + bar * 4 * beat;
      var chord = [degree, degree + 2, degree + 4, degree + 7];
      tone(context, brightness, degreeNote(scale, root - 12, degree), barStart, 2 * beat, "sine", 0.3);
      tone(context, brightness, degreeNote(scale, root - 12, degree), barStart + 2 * beat, 2 * beat, "sine", 0.25);
      for (var i = 0; i < 4 * perBeat; i++) {
        last = tone(context, brightness, degreeNote(scale, root + 12, chord[i % chord.length]),
          barStart + i * beat / perBeat, 0.9 * beat / perBeat, wave, 0.06 + 0.08 * energy);
      }
      if (energy > 0.6) {
        for (var eighth = 0; eighth < 8; eighth++) hat(context, master, barStart + eighth * beat / 2, 0.05 + 0.1 * energy);
      }
    });
    current = { context: context, button: button };
    label(button, true);
    last.onended = function () {
      if (current && current.context === context) stop();
    };
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-dismiss]")) {
      stop(); // the player bar closes: its sketch stops with it
      return;
    }
    var button = event.target.closest("[data-sketch]");
    if (!button) return;
    if (current && current.button === button) stop();
    else play(button);
  });

  // Play on a card fills the player bar through htmx; a sketch there starts at once (the click
  // on Play is the user's gesture that lets the page make sound).
  document.addEventListener("htmx:load", function (event) {
    var element = event.detail.elt;
    if (!element.querySelector) return;
    var button = element.matches("[data-sketch][data-autoplay]") ? element : element.querySelector("[data-sketch][data-autoplay]");
    if (button) play(button);
  });
})();
