// A microphone the test speaks into on demand. Chromium's --use-file-for-fake-audio-capture plays
// one file from the moment the microphone opens, which cannot say "now the agent talks, now the
// caller does". Instead, an init script wraps getUserMedia: every audio capture is a clone of one
// MediaStreamAudioDestinationNode's track, silent until the test calls window.__speak(base64Wav).
// The fake-device flags stay on so the permission prompt is accepted and devices are listed.

import { readFile } from "node:fs/promises";

import { FAKE_MEDIA_FLAGS, launchChromium } from "./browser.mjs";

/** A Chromium process of its own (one per person on the call: their audio stacks stay separate). */
export async function launchCallBrowser() {
  return launchChromium(FAKE_MEDIA_FLAGS);
}

function installMicrophone() {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  let graph = null;
  const ensureGraph = () => {
    if (!graph) {
      const context = new AudioContext({ sampleRate: 48000 });
      const destination = context.createMediaStreamDestination();
      graph = { context, destination, playing: null };
    }
    void graph.context.resume();
    return graph;
  };
  navigator.mediaDevices.getUserMedia = async (constraints = {}) => {
    if (!constraints.audio) return original(constraints);
    const { destination } = ensureGraph();
    const stream = new MediaStream(destination.stream.getAudioTracks().map((track) => track.clone()));
    if (constraints.video) {
      const video = await original({ video: constraints.video });
      for (const track of video.getVideoTracks()) stream.addTrack(track);
    }
    return stream;
  };
  window.__microphoneOpened = () => graph !== null;
  /** Plays a WAV (base64) into the microphone; resolves when it has played (or at once with loop). */
  window.__speak = async (base64, { loop = false } = {}) => {
    const current = ensureGraph();
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    const buffer = await current.context.decodeAudioData(bytes.buffer);
    current.playing?.stop();
    const source = current.context.createBufferSource();
    source.buffer = buffer;
    source.loop = loop;
    source.connect(current.destination);
    current.playing = source;
    const ended = new Promise((resolve) => source.addEventListener("ended", resolve, { once: true }));
    source.start();
    if (!loop) await ended;
  };
  window.__silence = () => {
    graph?.playing?.stop();
    if (graph) graph.playing = null;
  };
}

/** Installs the speakable microphone in every page of `context` (call before opening pages). */
export async function useSpeakableMicrophone(context) {
  await context.addInitScript(installMicrophone);
}

/** Reads a WAV file (from spokenQuestion) as base64, for speak(). */
export async function wavBase64(file) {
  return (await readFile(file)).toString("base64");
}

/** Says the WAV into the page's microphone and resolves when it has been said. */
export async function speak(page, base64) {
  await page.evaluate((data) => window.__speak(data), base64);
}

/** Starts saying the WAV over and over until silence(page). */
export async function speakInLoop(page, base64) {
  await page.evaluate((data) => window.__speak(data, { loop: true }), base64);
}

export async function silence(page) {
  await page.evaluate(() => window.__silence());
}

/** The highest `data-level` a level meter shows over `ms` milliseconds (sampled every 50 ms). */
export async function peakLevel(page, testId, ms) {
  return page.evaluate(
    ({ testId, ms }) =>
      new Promise((resolve) => {
        let peak = 0;
        const started = performance.now();
        const timer = setInterval(() => {
          const meter = document.querySelector(`[data-testid="${testId}"]`);
          peak = Math.max(peak, Number(meter?.getAttribute("data-level") ?? 0));
          if (performance.now() - started >= ms) {
            clearInterval(timer);
            resolve(peak);
          }
        }, 50);
      }),
    { testId, ms },
  );
}

/** Resolves with Date.now() (in the page) when the level meter first goes above `threshold`. */
export async function whenLevelAbove(page, testId, threshold, timeoutMs) {
  return page.evaluate(
    ({ testId, threshold, timeoutMs }) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const timer = setInterval(() => {
          const meter = document.querySelector(`[data-testid="${testId}"]`);
          if (Number(meter?.getAttribute("data-level") ?? 0) > threshold) {
            clearInterval(timer);
            resolve(Date.now());
          } else if (performance.now() - started > timeoutMs) {
            clearInterval(timer);
            reject(new Error(`${testId} stayed at or below ${threshold} for ${timeoutMs} ms`));
          }
        }, 20);
      }),
    { testId, threshold, timeoutMs },
  );
}
