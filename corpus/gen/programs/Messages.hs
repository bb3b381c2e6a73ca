{-# LANGUAGE MagicHash, UnboxedTuples #-}
-- | User-emitted events: USER_MSG (traceEvent), USER_MARKER (traceMarker),
-- USER_BINARY_MSG (traceBinaryEvent#) and THREAD_LABEL (labelThread), with
-- the awkward payloads a decoder has to survive.
--
-- Usage: messages [valid | invalid-utf8]
--
--   valid         All text events are valid UTF-8 (including non-ASCII and
--                 4-byte sequences); binary messages contain arbitrary
--                 non-UTF-8 bytes, which is legal for USER_BINARY_MSG.
--   invalid-utf8  Additionally posts USER_MSG, USER_MARKER and THREAD_LABEL
--                 events whose bytes are NOT valid UTF-8, by calling the
--                 primops directly with raw C strings.  ghc-events treats
--                 such text as a fatal decode error, so this is kept in a
--                 separate file.
--
-- base-4.15 (GHC 9.0) has no Debug.Trace.traceBinaryEventIO (added later),
-- so binary messages go through the traceBinaryEvent# primop.
module Main (main) where

import Control.Concurrent (forkIO, myThreadId)
import Control.Concurrent.MVar
import Control.Monad (forM_, when)
import qualified Data.ByteString as BS
import qualified Data.ByteString.Unsafe as BSU
import Debug.Trace (traceEventIO, traceMarkerIO)
import GHC.Conc (ThreadId (..), labelThread)
import GHC.Exts (Int (I#), Ptr (Ptr), labelThread#, traceBinaryEvent#,
                 traceEvent#, traceMarker#)
import GHC.IO (IO (IO))
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)

-- | Post a USER_BINARY_MSG with exactly these bytes.
traceBinaryIO :: BS.ByteString -> IO ()
traceBinaryIO bs = BSU.unsafeUseAsCStringLen bs $ \(Ptr a, I# n) ->
  IO (\s -> (# traceBinaryEvent# a n s, () #))

-- | The raw-byte variants below bypass the String -> UTF-8 encoding that
-- Debug.Trace and labelThread do, so arbitrary bytes reach the eventlog.
-- The RTS reads these as NUL-terminated C strings.
traceRawEventIO, traceRawMarkerIO :: BS.ByteString -> IO ()
traceRawEventIO bs = BS.useAsCString bs $ \(Ptr a) ->
  IO (\s -> (# traceEvent# a s, () #))
traceRawMarkerIO bs = BS.useAsCString bs $ \(Ptr a) ->
  IO (\s -> (# traceMarker# a s, () #))

labelThreadRaw :: ThreadId -> BS.ByteString -> IO ()
labelThreadRaw (ThreadId t) bs = BS.useAsCString bs $ \(Ptr a) ->
  IO (\s -> (# labelThread# t a s, () #))

main :: IO ()
main = do
  args <- getArgs
  invalid <- case args of
    []               -> pure False
    ["valid"]        -> pure False
    ["invalid-utf8"] -> pure True
    _ -> do hPutStrLn stderr "usage: messages [valid|invalid-utf8]"
            exitFailure

  me <- myThreadId
  labelThread me "main-スレッド"            -- 3-byte UTF-8 sequences
  traceMarkerIO "messages start"

  -- USER_MSG: plain, empty, non-ASCII (2-, 3- and 4-byte sequences),
  -- control characters, printf-looking text (the RTS must not interpret it).
  traceEventIO "hello, eventlog"
  traceEventIO ""
  traceEventIO "héllo wörld — ∀x. x ≡ x — 日本語 — 🎉🦀"
  traceEventIO "tab\there\nnewline\r\ncrlf and \ESC[1mescape\ESC[0m"
  traceEventIO "100% %s %d %n %x %% {} \\ \" '"
  -- An embedded NUL: the C string the RTS sees ends at the NUL, so only
  -- "before-nul" is logged.  Useful to confirm nobody expects "after".
  traceEventIO "before-nul\0after-nul"
  -- Long messages: a few KB, and one close to the u16 length limit.
  traceEventIO (concat (replicate 100 "0123456789abcdefghijklmnopqrstuvwxyz-"))
  traceEventIO (replicate 65000 'L')
  forM_ [1 .. 50 :: Int] $ \i -> traceEventIO ("msg " ++ show i)

  -- USER_MARKER.
  traceMarkerIO ""
  traceMarkerIO "marker ünïcödé ✓"
  traceMarkerIO (replicate 3000 'M')

  -- USER_BINARY_MSG: every byte value, bytes that are invalid UTF-8
  -- (lone continuation bytes, overlong NUL, 0xFE/0xFF), embedded NULs (must
  -- NOT truncate, the length is explicit), empty, and max-size payloads.
  traceBinaryIO (BS.pack [0 .. 255])
  traceBinaryIO (BS.pack [0xff, 0xfe, 0xc0, 0x80, 0x80, 0xbf, 0xed, 0xa0, 0x80])
  traceBinaryIO (BS.pack [0x00, 0x01, 0x00, 0x00, 0x7f])
  traceBinaryIO BS.empty
  traceBinaryIO (BS.replicate 65535 0xab)   -- largest payload the RTS accepts
  -- One byte too many: the GHC 9.0 RTS refuses it (prints "Event size exceeds
  -- EVENT_PAYLOAD_SIZE_MAX, bail out" on stderr) and posts nothing.
  traceBinaryIO (BS.replicate 65536 0xcd)

  -- THREAD_LABEL from several threads, including re-labelling a thread and
  -- an empty label.
  done <- newEmptyMVar
  forM_ (zip [1 :: Int ..] labels) $ \(i, l) -> forkIO $ do
    t <- myThreadId
    labelThread t l
    when (i == 1) $ labelThread t (l ++ " (renamed)")
    traceEventIO ("thread " ++ show i ++ " says hi")
    putMVar done ()
  forM_ labels (const (takeMVar done))

  when invalid $ do
    traceRawEventIO (BS.pack [0x62, 0x61, 0x64, 0x3a, 0xff, 0xfe, 0x20, 0xc3])
    traceRawMarkerIO (BS.pack [0x6d, 0x6b, 0x3a, 0xc0, 0xaf, 0x80])
    labelThreadRaw me (BS.pack [0x6c, 0x62, 0x6c, 0x3a, 0xe9, 0x74, 0xe9])
    traceEventIO "after invalid utf-8"

  traceMarkerIO "messages end"
  putStrLn "messages: done"
  where
    labels = [ "λ-worker", "émoji 🦀 worker", "", "plain-ascii"
             , "עברית", "Ελληνικά" ]
